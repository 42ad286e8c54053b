import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { sweepLeftovers, tempPrefix } from '../../harness/leftovers.ts';

t.test('the sweep removes temp dirs of bootchain processes that are gone, and only those', async (t) => {
  const dir = t.testdir();
  const dead = 2 ** 22 + 12345; // above the default pid_max: no such process
  mkdirSync(join(dir, `bootchain-qemu-${dead}-abc123`));
  mkdirSync(join(dir, `bootchain-net-${dead}-def456`));
  mkdirSync(join(dir, `${tempPrefix('qemu')}mine`));
  mkdirSync(join(dir, `bootchain-qemu-1-initsown`)); // pid 1 is alive
  mkdirSync(join(dir, 'unrelated-dir'));
  const removed = sweepLeftovers(dir);
  t.equal(removed.length, 2, removed.join('; '));
  t.same(readdirSync(dir).sort(), [`${tempPrefix('qemu')}mine`, 'bootchain-qemu-1-initsown', 'unrelated-dir'].sort());
});
