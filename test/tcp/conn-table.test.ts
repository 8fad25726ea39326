import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnTable } from '../../src/tcp/conn-table.js';
import { defaultTcpConfig } from '../../src/tcp/config.js';
import { RttBounds } from '../../src/tcp/rtt.js';
import { TcpEndpoint } from '../../src/tcp/tcp-endpoint.js';

const config = defaultTcpConfig();
const noop = (): void => {};
const owner = { config, rttBounds: () => new RttBounds(), rtxTimerFired: noop, delackTimerFired: noop, slowTimerFired: noop };

function ep(la: number, lp: number, ra: number, rp: number): TcpEndpoint {
  const e = new TcpEndpoint(owner);
  e.localAddr = la;
  e.localPort = lp;
  e.remoteAddr = ra;
  e.remotePort = rp;
  return e;
}

test('lookup by 4-tuple; removal of heads, middles and strangers; every endpoint listed', () => {
  const t = new ConnTable();
  const a = ep(0x0a000001, 1000, 0x0a000002, 80);
  const b = ep(0x0a000001, 1001, 0x0a000002, 80);
  const c = ep(0xc0a80001 | 0, 1000, 0x0a000002, 80);
  for (const e of [a, b, c]) t.insert(e);
  assert.equal(t.size, 3);
  assert.equal(t.lookup(0x0a000001, 1000, 0x0a000002, 80), a);
  assert.equal(t.lookup(0x0a000001, 1001, 0x0a000002, 80), b);
  assert.equal(t.lookup(0xc0a80001 | 0, 1000, 0x0a000002, 80), c);
  assert.equal(t.lookup(0x0a000001, 1002, 0x0a000002, 80), null);
  t.remove(ep(1, 2, 3, 4)); // not in the table: nothing happens
  assert.equal(t.size, 3);
  t.remove(b);
  assert.equal(t.lookup(0x0a000001, 1001, 0x0a000002, 80), null);
  assert.equal(b.hashNext, null);
  assert.deepEqual(new Set(t.values()), new Set([a, c]));
});

test('grows past one endpoint per bucket and shrinks back, finding every endpoint throughout', () => {
  const t = new ConnTable();
  const all: TcpEndpoint[] = [];
  for (let i = 0; i < 5000; i++) {
    const e = ep(0x0a000001, 1024 + (i % 60000), 0x0a000002 + (i >> 10), 80);
    all.push(e);
    t.insert(e);
  }
  for (const e of all) assert.equal(t.lookup(e.localAddr, e.localPort, e.remoteAddr, e.remotePort), e);
  assert.equal([...t.values()].length, 5000);
  for (const e of all.slice(0, 4990)) t.remove(e);
  assert.equal(t.size, 10);
  for (const e of all.slice(4990)) assert.equal(t.lookup(e.localAddr, e.localPort, e.remoteAddr, e.remotePort), e);
  for (const e of all.slice(0, 4990)) assert.equal(t.lookup(e.localAddr, e.localPort, e.remoteAddr, e.remotePort), null);
});
