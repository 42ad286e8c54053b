import t from 'tap';
import { BootchainError } from '../../harness/errors.ts';
import { DEFAULT_LAYOUT, planPartitions, resolveLayout, validateLayout } from '../../harness/image/layout.ts';
import type { ImageLayout } from '../../harness/image/types.ts';

const bad = (patch: Record<string, unknown>) => ({ ...DEFAULT_LAYOUT, ...patch }) as unknown as ImageLayout;

t.test('defaults give the seed layout', async (t) => {
  const plan = planPartitions(resolveLayout(undefined));
  t.same(plan.boot, { firstLba: 2048, lastLba: 22527, sectors: 20480 });
  t.same(plan.conf, { firstLba: 22528, lastLba: 1048542, sectors: 1026015 });
  t.equal(plan.diskSectors, 1048576);
});

t.test('a partial layout merges over the defaults', async (t) => {
  const l = resolveLayout({ diskMiB: 64, bootMiB: 20 });
  t.equal(l.diskMiB, 64);
  t.equal(l.bootName, 'boot');
  const plan = planPartitions(l);
  t.equal(plan.boot.lastLba, 2048 + 20 * 2048 - 1);
  t.equal(plan.conf.lastLba, 64 * 2048 - 34);
});

t.test('bad layouts name the field', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ diskMiB: 0 }, /`diskMiB` must be a positive integer/],
    [{ diskMiB: 1.5 }, /`diskMiB` must be a positive integer/],
    [{ bootMiB: -1 }, /`bootMiB` must be a positive integer/],
    [{ bootMiB: '10' }, /`bootMiB` must be a positive integer/],
    [{ diskMiB: 8, bootMiB: 10 }, /`bootMiB` \(10 MiB\) plus the conf partition does not fit the disk \(diskMiB 8\)/],
    [{ bootName: 'x'.repeat(37) }, /`bootName` is 37 characters long/],
    [{ confName: '' }, /`confName` must be a non-empty string/],
    [{ bootName: 'a"b' }, /`bootName` contains a character/],
    [{ bootFs: 'vfat' }, /`bootFs` must be one of ext2, ext3, ext4, got `vfat`/],
    [{ confFs: 'xfs' }, /`confFs` must be one of/],
    [{ chain: 'uefi' }, /`chain` must be one of gpt-extlinux, mbr-extlinux, mbr-syslinux-fat, grub-bios, got `uefi`/],
    [{ chain: 'mbr-syslinux-fat', bootFs: 'ext2' }, /`bootFs` must be vfat with chain mbr-syslinux-fat/],
    [{ chain: 'mbr-extlinux', bootFs: 'vfat' }, /`bootFs` must be one of ext2, ext3, ext4, got `vfat`/],
    [{ chain: 'mbr-syslinux-fat', bootFs: 'vfat', bootName: 'boot partition' }, /`bootName` becomes the FAT volume label/],
    [{ chain: 'mbr-syslinux-fat', bootFs: 'vfat', bootMiB: 2 }, /`bootMiB` must be 3–2047 MiB for a FAT16 boot partition/],
  ];
  for (const [patch, re] of cases) {
    t.throws(() => validateLayout(bad(patch), 'images/x/image.ts layout'), re, JSON.stringify(patch));
    try { validateLayout(bad(patch), 'images/x/image.ts layout'); } catch (e) {
      t.ok(e instanceof BootchainError && e.code === 'BAD_LAYOUT' && e.message.startsWith('images/x/image.ts layout:'), 'code + where');
    }
  }
  t.throws(() => resolveLayout({ diskSize: 5 } as never), /unknown layout field `diskSize`/);
  t.doesNotThrow(() => validateLayout(bad({ bootName: 'x'.repeat(36) })));
  t.doesNotThrow(() => validateLayout(bad({ diskMiB: 13, bootMiB: 10 })));
});

t.test('chain: default, FAT default fs, MBR plans use the whole disk', async (t) => {
  t.equal(resolveLayout(undefined).chain, 'gpt-extlinux');
  const fat = resolveLayout({ chain: 'mbr-syslinux-fat' });
  t.equal(fat.bootFs, 'vfat', 'SYSLINUX on FAT defaults to a vfat boot partition');
  t.equal(resolveLayout({ chain: 'mbr-extlinux' }).bootFs, 'ext2');
  const plan = planPartitions(resolveLayout({ chain: 'mbr-extlinux' }));
  t.same(plan.boot, { firstLba: 2048, lastLba: 22527, sectors: 20480 });
  t.equal(plan.conf.lastLba, 1048575, 'no backup GPT: p2 runs to the last sector');
});
