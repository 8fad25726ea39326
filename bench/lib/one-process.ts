import { ss } from './stack.js';
import { listenTcp, SERVER } from './sockstack.js';

/**
 * n connections held by ONE client process and ONE server process (maxFds raised to fit),
 * opened 1,000 at a time: what a program that raises its descriptor limit would do. Used by
 * the profiler to show the cost of the descriptor table at scale.
 */
export async function openOneProcess(n: number): Promise<{ opened: number; ms: number }> {
  const net = new ss.Network({ seed: 1 });
  const a = net.host('a', '10.0.0.1/16');
  const b = net.host('b', '10.0.0.2/16');
  const cp = a.process({ maxFds: n + Math.ceil(n / 1000) + 16 }).sockets;
  const sp = b.process({ maxFds: n + Math.ceil(n / 1000) + 16 }).sockets;
  const t0 = performance.now();
  let opened = 0;
  await net.run(async () => {
    // Destination ports vary so one client address has ports enough (28,232 per destination).
    for (let g = 0; opened < n; g++) {
      const k = Math.min(1000, n - opened);
      const lfd = listenTcp(sp, 1024 + g, 4096);
      const accepting = (async () => {
        for (let i = 0; i < k; i++) await sp.accept(lfd);
      })();
      const c: Promise<void>[] = [];
      for (let i = 0; i < k; i++) c.push(cp.connect(cp.socket(ss.AF_INET, ss.SOCK_STREAM, 0), { address: SERVER, port: 1024 + g }));
      await Promise.all(c);
      await accepting;
      opened += k;
    }
  });
  return { opened, ms: performance.now() - t0 };
}
