# Source: /work/shared/reference/network-sockets-programming.txt, "Python Socket Programming
# Example", section "UDP Server". The text lost its indentation; it is restored here to the evident
# Python structure, and nothing else is changed.
# The one change: at run time the test rewrites the server_address assignment line to the namespace address
# (the kernel side of the TAP link) in a copy of this file; nothing else is touched.
import socket

# Create a UDP socket
server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

# Bind the socket to the address and port
server_address = ('localhost', 8000)
server_socket.bind(server_address)
print(f"UDP Server is listening on {server_address[0]}:{server_address[1]}")

try:
    while True:
        # Wait for data
        print("Waiting for data...")
        data, client_address = server_socket.recvfrom(1024)
        print(f"Received {len(data)} bytes from {client_address}")
        print(f"Data: {data.decode('utf-8')}")

        # Send response
        message = "Hello from UDP server!"
        server_socket.sendto(message.encode('utf-8'), client_address)
except KeyboardInterrupt:
    print("Server shutting down")
finally:
    server_socket.close()
