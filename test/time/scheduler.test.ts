import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/time/clock.js';
import { TimerScheduler, Timer } from '../../src/time/scheduler.js';

test('armUnlessAt: a timer already due then keeps its place among equal deadlines; another deadline moves it', () => {
  const clock = new VirtualClock();
  const sched = new TimerScheduler(clock);
  const order: string[] = [];
  const a = new Timer(() => order.push('a'));
  const b = new Timer(() => order.push('b'));
  sched.arm(a, 10);
  sched.arm(b, 10);
  sched.armUnlessAt(a, 10); // kept: still before b
  sched.runDue(10);
  assert.deepEqual(order, ['a', 'b']);
  order.length = 0;
  sched.arm(a, 20);
  sched.arm(b, 20);
  sched.arm(a, 20); // arm() re-arms: a now fires after b
  sched.runDue(20);
  assert.deepEqual(order, ['b', 'a']);
  order.length = 0;
  sched.arm(a, 30);
  sched.armUnlessAt(a, 25); // another deadline: moved
  sched.armUnlessAt(b, 28); // not armed: armed
  assert.equal(a.at, 25);
  sched.runDue(28);
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(sched.size, 0);
});
