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

t.test('a loop mount left by a killed loop build is unmounted (its loop device released) before its dir goes, and nothing is deleted through it', { skip: process.getuid?.() !== 0 ? 'needs root (mount -o loop), as `build --builder loop` does' : false }, async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mountsUnder } = await import('../../harness/leftovers.ts');
  const dir = t.testdir();
  const img = join(dir, 'boot.ext2');
  execFileSync('truncate', ['-s', '4M', img]);
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', img]);
  const dead = 2 ** 22 + 4242;
  const mnt = join(dir, `bootchain-mnt-${dead}-k1ll3d`);
  mkdirSync(mnt);
  execFileSync('mount', ['-o', 'loop', img, mnt]);
  const loops = () => execFileSync('losetup', ['-j', img], { encoding: 'utf8' }).trim();
  t.teardown(() => {
    if (mountsUnder(mnt).length) execFileSync('umount', ['-l', mnt]);
  });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(mnt, 'ldlinux.sys'), 'x');
  t.not(loops(), '', 'the control: the image is on a loop device while mounted');
  const removed = sweepLeftovers(dir);
  t.equal(removed.length, 1, removed.join('; '));
  t.match(removed[0], /unmounted 1 mount, its loop device released/);
  t.same(mountsUnder(mnt), [], 'no mount left');
  t.equal(loops(), '', 'no loop device left on the image');
  t.notOk(readdirSync(dir).includes(`bootchain-mnt-${dead}-k1ll3d`), 'the mount dir is gone');
  const ls = execFileSync('debugfs', ['-R', 'ls -l /', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  t.match(ls, /ldlinux\.sys/, 'the file system was unmounted, not emptied: its files are still in the image');
});
