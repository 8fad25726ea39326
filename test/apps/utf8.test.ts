import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8Decode, utf8Encode } from '../../src/apps/utf8.js';

test('utf8Encode matches TextEncoder, lone surrogates included', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      assert.deepEqual(utf8Encode(s), new TextEncoder().encode(s));
    }),
    { numRuns: 2000 },
  );
  assert.deepEqual(utf8Encode('\ud800x'), Uint8Array.of(0xef, 0xbf, 0xbd, 0x78));
});

test('utf8Decode matches the non-fatal TextDecoder on arbitrary bytes', () => {
  const dec = new TextDecoder();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      assert.equal(utf8Decode(b), dec.decode(b));
    }),
    { numRuns: 5000 },
  );
  for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]]) {
    assert.equal(utf8Decode(Uint8Array.from(bad)), dec.decode(Uint8Array.from(bad)), `bytes ${bad}`);
  }
  assert.equal(utf8Decode(utf8Encode('héllo 😀')), 'héllo 😀');
});
