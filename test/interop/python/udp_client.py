# Source: /work/shared/reference/network-sockets-programming.txt, "Python Socket Programming
# Example", section "UDP Client". The text lost its indentation; it is restored here to the evident
# Python structure, and nothing else is changed.
# The one change: at run time the test rewrites the server_address assignment line to sockstack's address
# on the TAP link in a copy of this file; nothing else is touched.
import socket

# Create a UDP socket
client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

server_address = ('localhost', 8000)
message = "Hello from UDP client!"

try:
    # Send data
    print(f"Sending: {message}")
    client_socket.sendto(message.encode('utf-8'), server_address)

    # Receive response
    data, server = client_socket.recvfrom(1024)
    print(f"Received: {data.decode('utf-8')}")

finally:
    # Close socket
    client_socket.close()
