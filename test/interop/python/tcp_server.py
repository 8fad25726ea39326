# Source: /work/shared/reference/network-sockets-programming.txt, "Python Socket Programming
# Example", section "TCP Server". The text lost its indentation; it is restored here to the evident
# Python structure, and nothing else is changed.
# The one change: at run time the test rewrites the server_address assignment line to the namespace address
# (the kernel side of the TAP link) in a copy of this file; nothing else is touched.
import socket

# Create a TCP/IP socket
server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

# Bind the socket to the address and port
server_address = ('localhost', 8000)
server_socket.bind(server_address)

# Listen for incoming connections (maximum 1 queued connection)
server_socket.listen(1)
print(f"Server is listening on {server_address[0]}:{server_address[1]}")

try:
    while True:
        # Wait for a connection
        print("Waiting for a connection...")
        client_socket, client_address = server_socket.accept()
        print(f"Connection from {client_address}")

        try:
            # Receive data
            data = client_socket.recv(1024)
            print(f"Received: {data.decode('utf-8')}")

            # Send response
            message = "Hello from server!"
            client_socket.sendall(message.encode('utf-8'))
        finally:
            # Clean up the connection
            client_socket.close()
            print("Connection closed")

except KeyboardInterrupt:
    print("Server shutting down")
finally:
    server_socket.close()
