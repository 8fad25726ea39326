/**
 * sockstack: a TCP/IP stack with a faithful Berkeley sockets API.
 * The public surface: the Network builder, hosts, the socket API, constants and errors.
 */
export { Network, type NetworkOptions, type HostSpec, type InterfaceSpec } from './sim/network.js';
export { Host, type Process } from './sim/host.js';
export { type SocketRow, type TableOptions, formatSocketTable } from './sim/socket-table.js';
export { formatCounters } from './sim/netstat.js';
export { SocketApi, type PollFd, type ProcessOptions } from './socket/socket-api.js';
export { type SockAddr } from './socket/sockaddr.js';
export { type EpollEvent } from './socket/epoll.js';
export { type OptionValue } from './socket/options.js';
export * from './socket/constants.js';
export { SocketError, ERRNO, strerror, type ErrnoCode } from './stack/errno.js';
export { Segment, type Impairments } from './link/segment.js';
export { PcapngWriter } from './link/pcapng.js';
export { type NetDevice } from './stack/device.js';
export { VirtualClock, RealClock, type Clock } from './time/clock.js';
export { TimerScheduler, Timer } from './time/scheduler.js';
export { Rng } from './time/rng.js';
export { tcpEchoServer, tcpEchoClient, sendAll, formatAddr, type TcpEchoServer, type TcpEchoServerOptions, type TcpEchoClientOptions } from './apps/tcp-echo.js';
export { chatServer, chatClient, type ChatServer, type ChatServerOptions, type ChatClient } from './apps/chat-server.js';
export { type StreamSocket, type StreamSocketInfo, type StreamAddress } from './streams/stream-socket.js';
export { type StreamListener, type StreamListenerInfo, type ListenOptions } from './streams/stream-listener.js';
export { type UdpStreamSocket, type UdpSocketOptions, type UdpMessage, type UdpOutgoingMessage, type UdpSocketInfo } from './streams/udp-stream-socket.js';
