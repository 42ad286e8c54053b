import { open } from 'node:fs/promises';
import { BootchainError } from '../errors.ts';
import { emptyAdv, LOOP_GEOMETRY, patchExtlinux } from './extlinux-patch.ts';
import type { LoadedImage } from './image-def.ts';
import { SECTOR, type PartitionPlan } from './layout.ts';
import { IMMUTABLE_FL, makeExtFs, mapExtFiles, writeRanges, type FsFile } from './populate-ext.ts';
import { extlinuxTemplates } from './syslinux-templates.ts';

/** Where the EXTLINUX chains install SYSLINUX (the seed's `extlinux --install /mnt/extlinux`). */
export const EXTLINUX_DIR = '/extlinux';

/** The files of an EXTLINUX boot partition: ldlinux.sys (+ empty ADV), ldlinux.c32, then the image's files. */
export function extlinuxFiles(img: LoadedImage): FsFile[] {
  const t = extlinuxTemplates();
  return [
    // Staged unpatched; patched in place once its blocks are known (as extlinux rewrites it after mapping it).
    { path: `${EXTLINUX_DIR}/ldlinux.sys`, bytes: Buffer.concat([t.ldlinuxSys, emptyAdv()]), mode: 0o444, origin: `${t.source} (ldlinux.sys)`, flags: IMMUTABLE_FL },
    { path: `${EXTLINUX_DIR}/ldlinux.c32`, bytes: t.ldlinuxC32, mode: 0o444, origin: `${t.source} (ldlinux.c32)` },
    ...img.files.map((f) => ({ path: `${EXTLINUX_DIR}/${f.dest}`, bytes: f.bytes, mode: 0o644, origin: f.origin })),
  ];
}

/**
 * The boot partition of the EXTLINUX chains without root, a loop device or a mount: an ext file system
 * made with its files by `mke2fs -d`, then what `extlinux --install` adds: ldlinux.sys patched with its own
 * sector list, and the partition boot sector (geometry as extlinux sets it on a loop device: 64 heads,
 * 32 sectors, hidden sectors = the partition's first LBA).
 */
export async function buildExtlinuxPartition(o: { image: string; plan: PartitionPlan; img: LoadedImage; uuid: string; epoch: number; log: (l: string) => void }): Promise<void> {
  const { image, plan, img } = o;
  await makeExtFs({
    image,
    fs: img.layout.bootFs as 'ext2' | 'ext3' | 'ext4',
    label: img.layout.bootName,
    uuid: o.uuid,
    firstLba: plan.boot.firstLba,
    sectors: plan.boot.sectors,
    epoch: o.epoch,
    files: extlinuxFiles(img),
    what: `the ${img.layout.bootMiB} MiB boot partition (with ldlinux.sys, ldlinux.c32 and the other files)`,
    tooLargeHint: `raise layout.bootMiB in ${img.name}/image.ts or shrink the files`,
  });
  const path = `${EXTLINUX_DIR}/ldlinux.sys`;
  const ranges = (await mapExtFiles(image, plan.boot.firstLba, [path])).get(path)!;
  const base = plan.boot.firstLba * SECTOR;
  const sectors: number[] = [];
  for (const r of ranges) for (let at = r.start; at < r.end; at += SECTOR) sectors.push((at - base) / SECTOR);
  if (ranges.some((r) => (r.start - base) % SECTOR !== 0)) throw new BootchainError('EXTLINUX_PATCH', `${path} in ${image} does not start on a sector boundary`, 'report this with the e2fsprogs version');
  const patched = patchExtlinux({
    templates: extlinuxTemplates(),
    sectors,
    subdir: EXTLINUX_DIR,
    geometry: { totalSectors: plan.boot.sectors, hiddenSectors: plan.boot.firstLba, ...LOOP_GEOMETRY },
  });
  await writeRanges(image, ranges, patched.ldlinuxSys);
  const fh = await open(image, 'r+');
  try {
    await fh.write(patched.bootSector, 0, SECTOR, base);
  } finally {
    await fh.close();
  }
  o.log(`  mke2fs -d: p1 ${img.layout.bootFs} with ${img.files.length + 2} file(s) in ${EXTLINUX_DIR}; EXTLINUX installed without a mount (ldlinux.sys at sector ${sectors[0]} of p1, ${ranges.length} extent(s); boot sector patched)`);
}
