import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POLLIN, POLLOUT, WaitQueue, type Waiter } from '../../src/stack/events.js';

function waiter(q: WaitQueue, mask: number, log: string[], name: string, once = true): Waiter {
  const w: Waiter = {
    mask,
    wake: (ev) => {
      log.push(`${name}:${ev}`);
      if (once) q.remove(w);
    },
  };
  q.add(w);
  return w;
}

test('one waiter: woken when its mask meets the events, not otherwise', () => {
  const q = new WaitQueue();
  const log: string[] = [];
  q.notify(POLLIN); // nobody waits
  waiter(q, POLLIN, log, 'a');
  assert.equal(q.size, 1);
  q.notify(POLLOUT);
  assert.deepEqual(log, []);
  q.notify(POLLIN | POLLOUT);
  assert.deepEqual(log, [`a:${POLLIN | POLLOUT}`]);
  assert.equal(q.size, 0);
});

test('several waiters are woken in the order they came, each once, even as they leave', () => {
  const q = new WaitQueue();
  const log: string[] = [];
  waiter(q, POLLIN, log, 'a');
  const b = waiter(q, POLLOUT, log, 'b', false);
  waiter(q, POLLIN, log, 'c');
  assert.equal(q.size, 3);
  q.notify(POLLIN);
  assert.deepEqual(log, [`a:${POLLIN}`, `c:${POLLIN}`]);
  assert.equal(q.size, 1);
  waiter(q, POLLOUT, log, 'd');
  q.notify(POLLOUT);
  assert.deepEqual(log.slice(2), [`b:${POLLOUT}`, `d:${POLLOUT}`]);
  q.remove(b);
  q.remove(b); // twice: nothing
  assert.equal(q.size, 0);
});
