import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildImage } from '../../harness/image/build-image.ts';
import { LOOP_GEOMETRY, patchExtlinux } from '../../harness/image/extlinux-patch.ts';
import { mapExtFiles } from '../../harness/image/populate-ext.ts';
import { extlinuxTemplates } from '../../harness/image/syslinux-templates.ts';
import type { ByteRange } from '../../harness/image/types.ts';

const isRoot = process.getuid?.() === 0;
const read = (img: string, ranges: ByteRange[]): Buffer => {
  const b = readFileSync(img);
  return Buffer.concat(ranges.map((r) => b.subarray(r.start, r.end)));
};
const sectorsOf = (ranges: ByteRange[], base: number): number[] => ranges.flatMap((r) => Array.from({ length: (r.end - r.start) / 512 }, (_, i) => (r.start - base) / 512 + i));
const stat = (img: string, path: string): string => execFileSync('debugfs', ['-R', `stat ${path}`, `${img}?offset=1048576`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/**
 * The rootless EXTLINUX install against the real one: the loop builder mounts the boot partition and runs
 * Debian's `extlinux --install`. Block placement differs (the kernel vs mke2fs), so the check is: our patch
 * of the templates, given the real install's sector list, reproduces the real boot sector and ldlinux.sys
 * byte for byte; ldlinux.c32 is identical; the two builds' boot sectors differ only in the sector-1 pointer.
 */
t.test('rootless EXTLINUX install = what extlinux --install writes', { skip: !isRoot && 'needs root (loop mount for the real extlinux)' }, async (t) => {
  for (const name of ['hypersolid-cloud', 'hypersolid-mbr-extlinux']) {
    const dist = t.testdir();
    const loop = await buildImage({ name, distDir: join(dist, 'loop'), gzip: false, builder: 'loop' });
    const rootless = await buildImage({ name, distDir: join(dist, 'rootless'), gzip: false });
    const base = 2048 * 512;
    const path = '/extlinux/ldlinux.sys';
    const realRanges = (await mapExtFiles(loop.imagePath, 2048, [path])).get(path)!;
    const realSys = read(loop.imagePath, realRanges);
    const realVbr = read(loop.imagePath, [{ start: base, end: base + 512 }]);
    const ours = patchExtlinux({ templates: extlinuxTemplates(), sectors: sectorsOf(realRanges, base), subdir: '/extlinux', geometry: { totalSectors: 20480, hiddenSectors: 2048, ...LOOP_GEOMETRY } });
    t.ok(ours.bootSector.equals(realVbr), `${name}: boot sector = extlinux's, byte for byte (given its sector list)`);
    t.ok(ours.ldlinuxSys.equals(realSys), `${name}: ldlinux.sys (patch area, extents, checksum, ADV) = extlinux's, byte for byte`);
    // Positive control: a one-sector shift of the list must change both.
    const shifted = patchExtlinux({ templates: extlinuxTemplates(), sectors: sectorsOf(realRanges, base).map((s) => s + 2), subdir: '/extlinux', geometry: { totalSectors: 20480, hiddenSectors: 2048, ...LOOP_GEOMETRY } });
    t.notOk(shifted.bootSector.equals(realVbr) || shifted.ldlinuxSys.equals(realSys), 'a different sector list gives different bytes (the comparison can fail)');

    const c32 = '/extlinux/ldlinux.c32';
    const [lc, rc] = await Promise.all([mapExtFiles(loop.imagePath, 2048, [c32]), mapExtFiles(rootless.imagePath, 2048, [c32])]);
    t.ok(read(loop.imagePath, lc.get(c32)!).equals(read(rootless.imagePath, rc.get(c32)!)), `${name}: ldlinux.c32 identical`);

    const rRanges = (await mapExtFiles(rootless.imagePath, 2048, [path])).get(path)!;
    const rVbr = read(rootless.imagePath, [{ start: base, end: base + 512 }]);
    const diff = [...rVbr.keys()].filter((i) => rVbr[i] !== realVbr[i]);
    t.ok(diff.length <= 8 && diff.every((i) => i >= diff[0]! && i < diff[0]! + 8), `${name}: boot sectors differ only in the 8-byte sector-1 pointer (bytes ${diff.join(', ') || 'none'})`);
    // Our ldlinux.sys is what the patch gives for its own sectors, and its extents point at its own blocks.
    const rSys = read(rootless.imagePath, rRanges);
    const self = patchExtlinux({ templates: extlinuxTemplates(), sectors: sectorsOf(rRanges, base), subdir: '/extlinux', geometry: { totalSectors: 20480, hiddenSectors: 2048, ...LOOP_GEOMETRY } });
    t.ok(self.ldlinuxSys.equals(rSys) && self.bootSector.equals(rVbr), `${name}: rootless ldlinux.sys and boot sector are the patch for their own sector list`);
    // Same inode attributes as extlinux leaves: mode 0444, immutable, owner root.
    for (const img of [loop.imagePath, rootless.imagePath]) {
      const s = stat(img, path);
      t.match(s, /Mode: {2}0444 {3}Flags: 0x10\b/, `${img === loop.imagePath ? 'loop' : 'rootless'}: ldlinux.sys mode 0444, immutable`);
      t.match(s, /User: {5}0 {3}Group: {5}0/, 'owned by root');
      t.match(stat(img, c32), /Mode: {2}0444/, 'ldlinux.c32 mode 0444');
    }
  }
});
