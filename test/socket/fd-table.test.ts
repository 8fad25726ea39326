import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FdTable } from '../../src/socket/fd-table.js';

test('FdTable: lowest free descriptor first, from `first`, up to `limit`', () => {
  const t = new FdTable<string>(3, 8);
  assert.deepEqual([t.alloc('a'), t.alloc('b'), t.alloc('c')], [3, 4, 5]);
  assert.ok(t.release(4));
  assert.ok(!t.release(4), 'twice: not open');
  assert.equal(t.alloc('d'), 4);
  assert.ok(t.release(5));
  assert.ok(t.release(4));
  assert.equal(t.alloc('e'), 4, 'after the mark dropped, the lowest again');
  assert.deepEqual([t.alloc('f'), t.alloc('g'), t.alloc('h'), t.alloc('i')], [5, 6, 7, -1]);
  assert.equal(t.hasRoom(), false);
  assert.equal(t.size, 5);
  assert.deepEqual([...t.entries()].map(([fd, v]) => `${fd}${v}`), ['3a', '4e', '5f', '6g', '7h']);
});

test('FdTable: any sequence of opens and closes matches a linear lowest-free scan (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(40)), { maxLength: 400 }), (ops) => {
      const t = new FdTable<number>(3, 32);
      const model: Array<number | undefined> = [];
      for (const op of ops) {
        if (op === -1) {
          let want = -1;
          for (let fd = 3; fd < 32; fd++) if (model[fd] === undefined) { want = fd; break; }
          const got = t.alloc(1);
          assert.equal(got, want);
          if (want >= 0) model[want] = 1;
        } else {
          const fd = op + 3;
          assert.equal(t.release(fd), model[fd] !== undefined);
          model[fd] = undefined;
        }
        let room = false;
        for (let fd = 3; fd < 32; fd++) if (model[fd] === undefined) room = true;
        assert.equal(t.hasRoom(), room);
        assert.equal(t.size, model.filter((v) => v !== undefined).length);
      }
    }),
    { numRuns: 300 },
  );
});
