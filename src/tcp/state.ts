/**
 * TCP connection states (RFC 9293 §3.3.2), numbered as Linux numbers them (include/net/tcp_states.h)
 * so TCP_INFO's tcpi_state and `ss` read the same values as on Linux.
 */
export const TcpState = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  FIN_WAIT_1: 4,
  FIN_WAIT_2: 5,
  TIME_WAIT: 6,
  CLOSED: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;

export type TcpStateValue = (typeof TcpState)[keyof typeof TcpState];

/** RFC 9293 names, indexed by state number. */
const RFC_NAMES = [
  '', 'ESTABLISHED', 'SYN-SENT', 'SYN-RECEIVED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED',
  'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING',
];

/** The names `ss` prints (ss.c sstate_name). */
const SS_NAMES = [
  'UNKNOWN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'UNCONN',
  'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING',
];

export function stateName(s: number): string {
  return RFC_NAMES[s] ?? `STATE-${s}`;
}

export function ssStateName(s: number): string {
  return SS_NAMES[s] ?? 'UNKNOWN';
}

/** States in which the connection is synchronized (RFC 9293 §3.5): SYNs have been exchanged. */
export function isSynchronized(s: number): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2 ||
    s === TcpState.CLOSE_WAIT || s === TcpState.CLOSING || s === TcpState.LAST_ACK || s === TcpState.TIME_WAIT;
}

/** States in which this side may still send data (no FIN queued yet). */
export function canSendData(s: number): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.CLOSE_WAIT;
}

/** States in which a FIN from the peer has not arrived yet, so data may still come in. */
export function canReceiveData(s: number): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2;
}
