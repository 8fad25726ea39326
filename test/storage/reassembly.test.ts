// RingBuffer + Assembler together, as the TCP receive path uses them (no extra copies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Assembler } from '../../src/storage/assembler.js';
import { RingBuffer } from '../../src/storage/ring-buffer.js';

test('property: out-of-order, duplicated segments reassemble into the original stream', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3000 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >>> 8)) & 0xff)),
      fc.integer({ min: 1, max: 2500 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 400, size: 'large' }),
      (stream, capacity, maxRanges, choices) => {
        const ring = new RingBuffer(capacity);
        const asm = new Assembler(maxRanges);
        // Cut the stream into segments of 1..300 bytes, each to be "sent" repeatedly.
        const segs: Array<[number, number]> = [];
        let k = 0;
        for (let s = 0; s < stream.length; k++) {
          const len = 1 + ((choices[k % choices.length]! >>> 3) % 300);
          segs.push([s, Math.min(len, stream.length - s)]);
          s += len;
        }
        let rcvNxt = 0;
        const out: number[] = [];
        for (let step = 0; out.length < stream.length; step++) {
          assert.ok(step < 200000, 'no progress');
          const c = choices[step % choices.length]! ^ step;
          if (c % 5 === 0) {
            // The application reads some.
            const got = ring.readBytes(1 + (c % 700));
            out.push(...got);
            continue;
          }
          // A segment arrives: the lowest unreceived one sometimes (retransmission), any otherwise.
          const lowest = segs.find(([s, l]) => s + l > rcvNxt);
          const [seq, len] = c % 3 === 0 && lowest !== undefined ? lowest : segs[c % segs.length]!;
          let off = seq - rcvNxt;
          let from = seq;
          let n = len;
          if (off < 0) { n += off; from -= off; off = 0; } // trim the old part
          n = Math.min(n, ring.free - off); // trim to the window
          if (n <= 0) continue;
          if (!asm.add(off, n)) continue; // over the memory cap: drop
          assert.equal(ring.writeAt(off, stream, from, n), n);
          const front = asm.frontContiguous();
          if (front > 0) {
            asm.consumeFront(front);
            assert.equal(ring.commit(front), front);
            rcvNxt += front;
          }
          if (asm.isEmpty) ring.dropAhead();
        }
        assert.deepEqual(Uint8Array.from(out), stream);
        assert.equal(rcvNxt, stream.length);
        assert.equal(ring.release(), true);
      },
    ),
    { numRuns: 200 },
  );
});
