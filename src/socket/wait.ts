import type { TimerScheduler } from '../time/scheduler.js';
import { Timer } from '../time/scheduler.js';
import type { WaitQueue, Waiter } from '../stack/events.js';

/**
 * Blocks (as a Promise) until one of `queues` signals an event in `mask`, or `timeoutMs`
 * passes on the stack's clock (negative = no timeout). Resolves true when woken, false on
 * timeout. Every wake-up bumps `scheduler.wakeups`, which tells the virtual-time run loop
 * that application code has work to do.
 */
export function waitOn(sched: TimerScheduler, queues: readonly WaitQueue[], mask: number, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let timer: Timer | null = null;
    const finish = (woken: boolean): void => {
      for (const q of queues) q.remove(waiter);
      if (timer) sched.disarm(timer);
      sched.wakeups++;
      resolve(woken);
    };
    const waiter: Waiter = { mask, wake: () => finish(true) };
    for (const q of queues) q.add(waiter);
    if (timeoutMs >= 0) {
      timer = new Timer(() => finish(false), true); // finish() counts the wake-up itself
      sched.armIn(timer, timeoutMs);
    }
  });
}

/** Sleeps on the stack's clock (virtual or real). */
export function sleep(sched: TimerScheduler, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // A plain (non-internal) timer: the scheduler counts its firing as a wake-up.
    sched.after(Math.max(0, ms), resolve);
  });
}
