import { tempPrefix } from '../leftovers.ts';
import { readdir, readFile, mkdir, copyFile, writeFile, open, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { requireTool } from './host-tools.ts';
import type { LoadedImage } from './image-def.ts';
import { SECTOR, FIRST_LBA, type PartitionPlan } from './layout.ts';
import { LoopMount } from './loop-mount.ts';
import { makeExtFs, type FsFile } from './populate-ext.ts';

export const GRUB_I386_PC = '/usr/lib/grub/i386-pc';
/** GRUB's prefix: /boot/grub on the first MBR partition (the boot partition). */
export const GRUB_PREFIX = '(hd0,msdos1)/boot/grub';
/** Modules built into core.img (grub-mkimage adds their dependencies from moddep.lst). */
export const GRUB_CORE_MODULES = ['biosdisk', 'part_msdos', 'ext2', 'linux16', 'serial', 'terminal', 'normal', 'echo', 'boot', 'configfile', 'test'];

// Offsets in GRUB's boot.img and core.img (include/grub/i386/pc/boot.h, grub-core/boot/i386/pc/boot.S and
// diskboot.S, util/setup.c in GRUB 2.06), checked on Debian's grub-pc-bin 2.06 files:
/** boot.img: 8-byte LBA of core.img's first sector (default 1). */
const KERNEL_SECTOR = 0x5c;
/** boot.img: the drive to load core.img from; 0xff = the drive the BIOS booted (DL). */
const BOOT_DRIVE = 0x64;
/** boot.img: a 2-byte jmp that grub-bios-setup replaces with two NOPs on hard disks (BIOSes passing a wrong DL). */
const DRIVE_CHECK = 0x66;
/** core.img's first sector (diskboot.img) ends in a blocklist entry: start LBA (u64), sectors (u16), segment (u16). */
const BLOCKLIST = SECTOR - 12;
const KERNEL_SEG = 0x800;

export interface GrubBootCode {
  /** boot.img's first 440 bytes as written to the MBR. */
  bootCode: Buffer;
  /** core.img as written from LBA 1. */
  core: Buffer;
}

/**
 * What grub-bios-setup would write for core.img embedded right after the MBR (LBA 1), done by hand:
 * grub-bios-setup needs a whole-disk device (a loop device) and grub-install cannot find a partition on an
 * offset loop mount. Patched: boot.img's kernel sector = 1, boot drive 0xff, drive check NOPed;
 * diskboot's blocklist = the rest of core.img from LBA 2 at segment 0x820.
 */
export async function makeGrubBootCode(): Promise<GrubBootCode> {
  const tmp = await mkdtemp(join(tmpdir(), tempPrefix('grub')));
  try {
    const coreFile = join(tmp, 'core.img');
    const args = ['-O', 'i386-pc', '-d', GRUB_I386_PC, '-p', GRUB_PREFIX, '-o', coreFile, ...GRUB_CORE_MODULES];
    const r = await runTool(requireTool('grub-mkimage'), args, { reject: false, all: true });
    if (r.exitCode !== 0) throw new BootchainError('GRUB_MKIMAGE_FAILED', `grub-mkimage failed: ${(r.all ?? '').trim()}`, `command: grub-mkimage ${args.join(' ')}`);
    const core = await readFile(coreFile);
    const sectors = Math.ceil(core.length / SECTOR);
    if (sectors + 1 > FIRST_LBA) throw new BootchainError('GRUB_CORE_TOO_LARGE', `core.img is ${core.length} bytes (${sectors} sectors): it does not fit the ${FIRST_LBA - 1}-sector gap before partition 1`, 'embed fewer modules');
    core.writeBigUInt64LE(2n, BLOCKLIST);
    core.writeUInt16LE(sectors - 1, BLOCKLIST + 8);
    core.writeUInt16LE(KERNEL_SEG + (SECTOR >> 4), BLOCKLIST + 10);
    const boot = Buffer.from((await readFile(requireTool('grub-i386-pc'))).subarray(0, 440));
    boot.writeBigUInt64LE(1n, KERNEL_SECTOR);
    boot[BOOT_DRIVE] = 0xff;
    boot[DRIVE_CHECK] = 0x90;
    boot[DRIVE_CHECK + 1] = 0x90;
    return { bootCode: boot, core };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Writes boot.img's code into the MBR (the partition table stays) and core.img from LBA 1. */
export async function writeGrubBootCode(image: string, code: GrubBootCode): Promise<void> {
  const fh = await open(image, 'r+');
  try {
    await fh.write(code.bootCode, 0, 440, 0);
    await fh.write(code.core, 0, code.core.length, SECTOR);
  } finally {
    await fh.close();
  }
}

/** Mounts p1 and installs /boot/grub (grub.cfg + the i386-pc modules, for autoloading) and the payload in /boot. */
export async function installGrubFiles(image: string, plan: PartitionPlan, img: LoadedImage, log: (l: string) => void): Promise<void> {
  const mnt = await LoopMount.open(image, plan.boot.firstLba * SECTOR, plan.boot.sectors * SECTOR);
  try {
    const boot = join(mnt.dir, 'boot');
    const mods = join(boot, 'grub', 'i386-pc');
    await mkdir(mods, { recursive: true });
    let n = 0;
    for (const f of await readdir(GRUB_I386_PC)) {
      if (!/\.(mod|lst)$/.test(f)) continue;
      await copyFile(join(GRUB_I386_PC, f), join(mods, f));
      n++;
    }
    for (const f of img.files) {
      const dest = join(boot, f.dest);
      await mkdir(dirname(dest), { recursive: true });
      try {
        await writeFile(dest, f.bytes);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new BootchainError('FILES_TOO_LARGE', `${f.origin} (${f.bytes.length} B) does not fit in the ${img.layout.bootMiB} MiB boot partition (with GRUB's ~3 MiB of modules)`, `raise layout.bootMiB in ${img.name}/image.ts`);
        throw e;
      }
    }
    log(`  /boot/grub: grub.cfg + ${n} i386-pc modules; /boot: ${img.files.filter((f) => !f.dest.startsWith('grub/')).map((f) => f.dest).join(', ')}`);
  } finally {
    await mnt.close();
  }
}

/** The files of the GRUB boot partition: /boot/grub/i386-pc (modules, for autoloading), grub.cfg and the payload in /boot. */
export async function grubFiles(img: LoadedImage): Promise<FsFile[]> {
  const out: FsFile[] = [];
  for (const f of (await readdir(GRUB_I386_PC)).sort()) {
    if (!/\.(mod|lst)$/.test(f)) continue;
    out.push({ path: `/boot/grub/i386-pc/${f}`, bytes: await readFile(join(GRUB_I386_PC, f)), mode: 0o644, origin: join(GRUB_I386_PC, f) });
  }
  for (const f of img.files) out.push({ path: `/boot/${f.dest}`, bytes: f.bytes, mode: 0o644, origin: f.origin });
  return out;
}

/** The GRUB boot partition without a mount: `mke2fs -d` with /boot/grub and the payload (what installGrubFiles copies). */
export async function buildGrubPartition(o: { image: string; plan: PartitionPlan; img: LoadedImage; uuid: string; epoch: number; log: (l: string) => void }): Promise<void> {
  const files = await grubFiles(o.img);
  await makeExtFs({
    image: o.image,
    fs: o.img.layout.bootFs as 'ext2' | 'ext3' | 'ext4',
    label: o.img.layout.bootName,
    uuid: o.uuid,
    firstLba: o.plan.boot.firstLba,
    sectors: o.plan.boot.sectors,
    epoch: o.epoch,
    files,
    what: `the ${o.img.layout.bootMiB} MiB boot partition (with GRUB's ~3 MiB of modules)`,
    tooLargeHint: `raise layout.bootMiB in ${o.img.name}/image.ts`,
  });
  o.log(`  mke2fs -d: p1 ${o.img.layout.bootFs} with /boot/grub (grub.cfg + ${files.length - o.img.files.length} i386-pc modules) and /boot: ${o.img.files.filter((f) => !f.dest.startsWith('grub/')).map((f) => f.dest).join(', ')}`);
}
