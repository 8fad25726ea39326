import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortTable } from '../../src/tcp/port-table.js';
import { defaultTcpConfig } from '../../src/tcp/config.js';
import { RttBounds } from '../../src/tcp/rtt.js';
import { TcpEndpoint } from '../../src/tcp/tcp-endpoint.js';

const config = defaultTcpConfig();
const noop = (): void => {};
const owner = { config, rttBounds: () => new RttBounds(), rtxTimerFired: noop, delackTimerFired: noop, slowTimerFired: noop };
const make = (): TcpEndpoint => new TcpEndpoint(owner);

test('a port held by one endpoint, then shared, then by one again, then free', () => {
  const t = new PortTable();
  const [a, b, c] = [make(), make(), make()];
  assert.equal(t.has(80), false);
  assert.equal(t.some(80, () => true), false);
  t.add(a, 80);
  assert.equal(t.has(80), true);
  assert.equal(t.some(80, (e) => e === a), true);
  t.add(b, 80);
  t.add(c, 80);
  const seen: TcpEndpoint[] = [];
  t.some(80, (e) => (seen.push(e), false));
  assert.deepEqual(seen, [a, b, c], 'in the order they took the port');
  t.remove(a, 80);
  t.remove(c, 80);
  assert.deepEqual([...t.values()], [b]);
  t.remove(a, 80); // no longer there: nothing happens
  t.remove(b, 80);
  assert.equal(t.has(80), false);
  assert.deepEqual([...t.values()], []);
});

test('values() lists every endpoint, port by port', () => {
  const t = new PortTable();
  const [a, b, c] = [make(), make(), make()];
  t.add(a, 1);
  t.add(b, 2);
  t.add(c, 1);
  assert.deepEqual([...t.values()], [a, c, b]);
});
