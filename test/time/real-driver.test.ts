import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealClock } from '../../src/time/clock.js';
import { TimerScheduler, Timer } from '../../src/time/scheduler.js';
import { RealTimeDriver } from '../../src/time/real-driver.js';

function setup(): { sched: TimerScheduler; driver: RealTimeDriver } {
  const sched = new TimerScheduler(new RealClock());
  const driver = new RealTimeDriver(sched);
  driver.start();
  return { sched, driver };
}

const wallSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('real-time driver: timers fire in deadline order, whatever the arming order', async () => {
  const { sched, driver } = setup();
  const order: string[] = [];
  const done = new Promise<void>((resolve) => {
    sched.armIn(new Timer(() => (order.push('c'), resolve())), 15);
    sched.armIn(new Timer(() => order.push('a')), 1);
    sched.armIn(new Timer(() => order.push('b')), 5);
  });
  await done;
  driver.stop();
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(sched.size, 0);
});

test('real-time driver: a timer due now fires, and so does one armed for now by a callback', async () => {
  const { sched, driver } = setup();
  const fired: number[] = [];
  await new Promise<void>((resolve) => {
    sched.arm(
      new Timer(() => {
        fired.push(1);
        sched.arm(new Timer(() => (fired.push(2), resolve())), sched.now());
      }),
      sched.now(),
    );
  });
  driver.stop();
  assert.deepEqual(fired, [1, 2]);
});

test('real-time driver: an earlier deadline replaces the armed one; stop() leaves timers unfired', async () => {
  const { sched, driver } = setup();
  const fired: string[] = [];
  sched.armIn(new Timer(() => fired.push('late')), 10_000);
  await new Promise<void>((resolve) => sched.armIn(new Timer(() => (fired.push('early'), resolve())), 2));
  assert.deepEqual(fired, ['early']);
  const t = new Timer(() => fired.push('stopped'));
  sched.armIn(t, 1);
  driver.stop();
  await wallSleep(20);
  assert.deepEqual(fired, ['early']);
  assert.ok(t.armed, 'the timer stays in the scheduler after stop()');
  assert.equal(sched.size, 2);
});
