# Source: /work/shared/reference/network-sockets-and-ports.txt, "Client Socket Example" (client.py),
# itself taken from the Python documentation. Copied unchanged.
# The one change: at run time the test rewrites the SERVER_IP_ADDRESS assignment line to
# sockstack's address on the TAP link in a copy of this file; nothing else is touched.
# client.py
import socket

SERVER_IP_ADDRESS = '127.0.0.1'        # The remote host we to connect to
PORT = 50007                           # The port number used by the server

# Again, we need to create an IPv4 stream socket
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:

    # We don't need to bind the client to a local address,
    # we can just attempt to connect to the server
    s.connect((SERVER_IP_ADDRESS, PORT))

    # After the connection is accepted, we send the string "Hello, world"
    s.sendall(b'Hello, world')

    # After sending, we wait to receive data back.
    data = s.recv(1024)

# Finally, print the data that was received
print('Received', repr(data))
