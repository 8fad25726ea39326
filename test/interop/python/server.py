# Source: /work/shared/reference/network-sockets-and-ports.txt, "Server Socket Example" (server.py),
# itself taken from the Python documentation. Copied unchanged, with one restoration: the text
# broke the comment "# Now we create the socket - socket.AF_INET represents IPv4 / socket.AF_INET6
# for IPv6 sockets" over two lines and lost the second line's '#', so it is a comment again here.
# The one change: at run time the test rewrites the HOST assignment line to the namespace address
# (the kernel side of the TAP link) in a copy of this file; nothing else is touched.
# server.py
import socket

HOST = '127.0.0.1'         # We're just making the service available on localhost
PORT = 50007               # We pick a random high TCP port to listen on

# Now we create the socket - socket.AF_INET represents IPv4
# socket.AF_INET6 for IPv6 sockets

# socket.SOCK_STREAM represents a STREAM socket, in this case, using TCP
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:

    # we bind the socket to the IP address and port number defined above
    s.bind((HOST, PORT))

    # as this is the server, we next instruct the socket to listen for incoming connections
    s.listen(1)

    # incoming connections will be accepted and provide a new socket to communicate
    # with a given client (conn) and the address of the client (addr)
    conn, addr = s.accept()

    # after a connection is established, the server prints out the client address
    # and then waits for data. Any data that is received will just be sent back
    # to the client (by conn.sendall)
    with conn:
        print('Connected by', addr)
        while True:
            data = conn.recv(1024)
            if not data: break
            conn.sendall(data)
