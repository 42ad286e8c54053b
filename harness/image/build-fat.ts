import { tempPrefix } from '../leftovers.ts';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { requireTool } from './host-tools.ts';
import type { ImageFile, LoadedImage } from './image-def.ts';
import { SECTOR, type PartitionPlan } from './layout.ts';
import type { BootChain } from './types.ts';

/** Where each chain keeps its SYSLINUX install (ldlinux.sys, ldlinux.c32, the config, the payload). */
export function syslinuxDirFor(chain: BootChain): string {
  return chain === 'mbr-syslinux-fat' ? '/syslinux' : chain === 'grub-bios' ? '/boot' : '/extlinux';
}

/** The name a source file gets in the boot partition: SYSLINUX on FAT reads its config as syslinux.cfg. */
export function installedName(chain: BootChain, dest: string): string {
  return chain === 'mbr-syslinux-fat' && dest === 'extlinux.conf' ? 'syslinux.cfg' : dest;
}

// mtools refuses images whose geometry it does not like unless told not to check; no user mtoolsrc.
const MTOOLS_ENV = { MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null' };

/**
 * mkfs.fat (FAT16) on sectors [lba, lba+sectors) of `image`, hidden sectors = lba (SYSLINUX's boot sector adds
 * them to find ldlinux.sys). Without -F, mkfs.fat sizes the FAT by the whole image file and picks FAT32, which
 * a 10 MiB partition is too small for; below 8 MiB, FAT16 needs 512-byte clusters to reach 4085 clusters.
 */
export async function mkfsFat(image: string, label: string, volumeId: number, lba: number, sectors: number): Promise<void> {
  const args = ['--invariant', '-F', '16', ...(sectors < 8 * 2048 ? ['-s', '1'] : []), '-n', label.toUpperCase().slice(0, 11), '-i', volumeId.toString(16).padStart(8, '0'), '-h', String(lba), `--offset=${lba}`, image, String(Math.floor(sectors / 2))];
  const r = await runTool(requireTool('mkfs.fat'), args, { reject: false, all: true });
  if (r.exitCode !== 0) throw new BootchainError('MKFS_FAILED', `mkfs.fat at sector ${lba} of ${image} failed: ${(r.all ?? '').trim()}`, `command: mkfs.fat ${args.join(' ')}`);
}

/** mtools stamps new directory entries with SOURCE_DATE_EPOCH when set (instead of the clock). */
const fatEnv = (epoch: number) => ({ ...MTOOLS_ENV, SOURCE_DATE_EPOCH: String(epoch) });

async function mtool(tool: 'mmd' | 'mcopy', args: string[], what: string, epoch: number): Promise<void> {
  const r = await runTool(requireTool(tool), args, { reject: false, all: true, env: fatEnv(epoch) });
  if (r.exitCode !== 0) throw new BootchainError('MTOOLS_FAILED', `${tool} ${what} failed: ${(r.all ?? '').trim()}`, `command: ${tool} ${args.join(' ')}`);
}

/**
 * SYSLINUX on the FAT boot partition, without a mount: `syslinux --offset --directory --install` writes
 * ldlinux.sys, ldlinux.c32 and the boot sector; mcopy puts the image's files next to them.
 */
export async function installSyslinuxFat(image: string, plan: PartitionPlan, img: LoadedImage, log: (l: string) => void, epoch: number): Promise<void> {
  const offset = plan.boot.firstLba * SECTOR;
  const vol = `${image}@@${offset}`;
  const dir = syslinuxDirFor('mbr-syslinux-fat');
  await mtool('mmd', ['-i', vol, `::${dir}`], `creating ${dir}`, epoch);
  const r = await runTool(requireTool('syslinux'), ['--offset', String(offset), '--directory', dir, '--install', image], { reject: false, all: true, env: fatEnv(epoch) });
  // syslinux exits 0 even when it could not place its files ("unable to move ldlinux.sys"): read its text too.
  const text = (r.all ?? '').trim();
  if (r.exitCode !== 0 || /unable to|no match|fault/i.test(text)) {
    throw new BootchainError('SYSLINUX_FAILED', `syslinux --install on partition 1 of ${image} failed (exit ${r.exitCode}): ${text}`, 'check that the boot partition is FAT and the directory exists');
  }
  log(`  syslinux --offset ${offset} --directory ${dir} --install: ok`);
  const tmp = await mkdtemp(join(tmpdir(), tempPrefix('fat')));
  try {
    const made = new Set<string>();
    for (const f of img.files as ImageFile[]) {
      const name = installedName('mbr-syslinux-fat', f.dest);
      const target = posix.join(dir, name);
      const parent = posix.dirname(target);
      const parts = parent.split('/').filter(Boolean);
      for (let i = 2; i <= parts.length; i++) {
        const d = '/' + parts.slice(0, i).join('/');
        if (!made.has(d)) { await mtool('mmd', ['-i', vol, `::${d}`], `creating ${d}`, epoch); made.add(d); }
      }
      const src = join(tmp, name);
      await mkdir(dirname(src), { recursive: true });
      await writeFile(src, f.bytes);
      try {
        await mtool('mcopy', ['-i', vol, src, `::${target}`], `copying ${f.origin} to ${target}`, epoch);
      } catch (e) {
        if (/disk full|no free clusters/i.test((e as Error).message)) {
          throw new BootchainError('FILES_TOO_LARGE', `${f.origin} (${f.bytes.length} B) does not fit in the ${img.layout.bootMiB} MiB FAT boot partition (with ldlinux.sys, ldlinux.c32 and the other files)`, `raise layout.bootMiB in ${img.name}/image.ts or shrink the files`);
        }
        throw e;
      }
    }
    log(`  mcopy: ${img.files.length} file(s) into ${dir} (extlinux.conf as syslinux.cfg)`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
