# Source: /work/shared/reference/network-sockets-programming.txt, "Python Socket Programming
# Example", section "TCP Client". The text lost its indentation; it is restored here to the evident
# Python structure, and nothing else is changed.
# The one change: at run time the test rewrites the server_address assignment line to sockstack's address
# on the TAP link in a copy of this file; nothing else is touched.
import socket

# Create a TCP/IP socket
client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

# Connect the socket to the server
server_address = ('localhost', 8000)
print(f"Connecting to {server_address[0]}:{server_address[1]}")
client_socket.connect(server_address)

try:
    # Send data
    message = "Hello from client!"
    client_socket.sendall(message.encode('utf-8'))

    # Receive response
    data = client_socket.recv(1024)
    print(f"Received: {data.decode('utf-8')}")

finally:
    # Clean up
    client_socket.close()
    print("Connection closed")
