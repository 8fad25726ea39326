import * as net from 'node:net';
import { execFileSync } from 'node:child_process';

/** Listens on 127.0.0.1 (an ephemeral port) and resolves with the port. */
export function listen(server: net.Server, backlog = 511): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog }, () => resolve((server.address() as net.AddressInfo).port));
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The process's open-file limit (RLIMIT_NOFILE soft), which caps how many kernel sockets a peer may hold. */
export function openFileLimit(): number {
  try {
    const out = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    const n = Number(out);
    return Number.isFinite(n) ? n : Infinity; // 'unlimited'
  } catch {
    return 1024;
  }
}
