import { BootchainError } from '../errors.ts';
import type { BootChain, ImageLayout } from './types.ts';

export const SECTOR = 512;
/** First partition starts at 1 MiB, like sgdisk/sfdisk's default alignment (and the seed). */
export const FIRST_LBA = 2048;
/** Protective MBR + GPT header + 128 entries of 128 bytes = 34 sectors at each end (33 at the back). */
const GPT_BACKUP_SECTORS = 33;
export const LINUX_FS_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
export const ALLOWED_FS = ['ext2', 'ext3', 'ext4'] as const;
export const CHAINS: readonly BootChain[] = ['gpt-extlinux', 'mbr-extlinux', 'mbr-syslinux-fat', 'grub-bios'];
/** MBR type bytes of the partitions a DOS-label chain writes. */
export const MBR_TYPE_LINUX = 0x83;
export const MBR_TYPE_FAT16_LBA = 0x0e;

/** True for the chains that write a DOS (MBR) partition table instead of a GPT. */
export const isMbrChain = (chain: BootChain): boolean => chain !== 'gpt-extlinux';

export const DEFAULT_LAYOUT: ImageLayout = {
  chain: 'gpt-extlinux',
  diskMiB: 512,
  bootMiB: 10,
  bootName: 'boot',
  confName: 'conf',
  bootFs: 'ext2',
  confFs: 'ext4',
};

/** Where each partition lies, in sectors (inclusive ends, like sgdisk -p). */
export interface PartitionPlan {
  diskSectors: number;
  lastUsableLba: number;
  boot: { firstLba: number; lastLba: number; sectors: number };
  conf: { firstLba: number; lastLba: number; sectors: number };
}

/**
 * Merges a partial layout over the defaults and validates it; `where` names the source
 * (e.g. "images/foo/image.ts") for error messages.
 */
export function resolveLayout(partial: Partial<ImageLayout> | undefined, where = 'layout'): ImageLayout {
  const layout: ImageLayout = { ...DEFAULT_LAYOUT };
  // SYSLINUX on FAT boots from a FAT partition: that chain's default boot fs is vfat.
  if (partial?.chain === 'mbr-syslinux-fat' && partial.bootFs === undefined) layout.bootFs = 'vfat';
  for (const [k, v] of Object.entries(partial ?? {})) {
    if (!(k in DEFAULT_LAYOUT)) {
      throw new BootchainError('BAD_LAYOUT', `${where}: unknown layout field \`${k}\``, `known fields: ${Object.keys(DEFAULT_LAYOUT).join(', ')}`);
    }
    if (v !== undefined) (layout as unknown as Record<string, unknown>)[k] = v;
  }
  validateLayout(layout, where);
  return layout;
}

/** Throws BAD_LAYOUT naming the field when the layout cannot be built. */
export function validateLayout(layout: ImageLayout, where = 'layout'): void {
  const bad = (field: string, msg: string, hint: string): never => {
    throw new BootchainError('BAD_LAYOUT', `${where}: \`${field}\` ${msg}`, hint);
  };
  const chain: unknown = layout.chain;
  if (typeof chain !== 'string' || !(CHAINS as readonly string[]).includes(chain)) {
    bad('chain', `must be one of ${CHAINS.join(', ')}, got \`${String(chain)}\``, `e.g. chain: 'mbr-extlinux' (default ${DEFAULT_LAYOUT.chain}, the seed's)`);
  }
  const fat = layout.chain === 'mbr-syslinux-fat';
  for (const f of ['diskMiB', 'bootMiB'] as const) {
    const v: unknown = layout[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      bad(f, `must be a positive integer (MiB), got \`${String(v)}\``, `e.g. ${f}: ${DEFAULT_LAYOUT[f]}`);
    }
  }
  for (const f of ['bootName', 'confName'] as const) {
    const v: unknown = layout[f];
    if (typeof v !== 'string' || v.length === 0) bad(f, `must be a non-empty string, got \`${String(v)}\``, 'GPT partition names are 1–36 characters');
    const s = v as string;
    if (s.length > 36) bad(f, `is ${s.length} characters long; GPT names hold at most 36`, 'shorten the name');
    if (/["\\\n\r]/.test(s) || [...s].some((c) => c.codePointAt(0)! > 0xffff)) bad(f, `contains a character a GPT name cannot hold: \`${s}\``, 'use plain text without quotes, backslashes or newlines');
  }
  if (fat) {
    if (layout.bootFs !== 'vfat') bad('bootFs', `must be vfat with chain mbr-syslinux-fat, got \`${String(layout.bootFs)}\``, 'drop bootFs (it defaults to vfat for this chain), or pick chain mbr-extlinux for an ext boot partition');
    if (Number.isInteger(layout.bootMiB) && (layout.bootMiB < 3 || layout.bootMiB > 2047)) bad('bootMiB', `must be 3–2047 MiB for a FAT16 boot partition (chain mbr-syslinux-fat), got ${layout.bootMiB}`, 'e.g. bootMiB: 10');
    if (!/^[A-Za-z0-9_-]{1,11}$/.test(layout.bootName)) bad('bootName', `becomes the FAT volume label: at most 11 letters, digits, "_" or "-", got \`${layout.bootName}\``, 'e.g. bootName: "boot"');
  } else {
    const v: unknown = layout.bootFs;
    const why = layout.chain === 'grub-bios' ? 'the GRUB chain keeps /boot/grub on ext2/3/4' : 'SYSLINUX (extlinux) needs ext2/3/4; for FAT use chain mbr-syslinux-fat';
    if (!(ALLOWED_FS as readonly unknown[]).includes(v)) bad('bootFs', `must be one of ${ALLOWED_FS.join(', ')}, got \`${String(v)}\``, why);
  }
  {
    const v: unknown = layout.confFs;
    if (!(ALLOWED_FS as readonly unknown[]).includes(v)) bad('confFs', `must be one of ${ALLOWED_FS.join(', ')}, got \`${String(v)}\``, 'the conf partition is ext2/3/4');
  }
  // The conf partition needs room for a file system: at least 1 MiB after the boot partition.
  const needMiB = FIRST_LBA / 2048 + layout.bootMiB + 1 + 1;
  if (layout.diskMiB < needMiB) {
    bad('bootMiB', `(${layout.bootMiB} MiB) plus the conf partition does not fit the disk (diskMiB ${layout.diskMiB}): need diskMiB ≥ ${needMiB}`, `raise diskMiB or lower bootMiB`);
  }
  if (layout.bootMiB < 1) bad('bootMiB', 'must be at least 1', 'SYSLINUX needs ~200 KiB plus your files');
}

/**
 * Sector plan of a validated layout: p1 from 2048 for bootMiB, p2 to the last usable sector (before
 * the backup GPT on GPT chains, the disk's last sector on MBR chains).
 */
export function planPartitions(layout: ImageLayout): PartitionPlan {
  const diskSectors = layout.diskMiB * 2048;
  const lastUsableLba = isMbrChain(layout.chain ?? DEFAULT_LAYOUT.chain) ? diskSectors - 1 : diskSectors - GPT_BACKUP_SECTORS - 1;
  const bootSectors = layout.bootMiB * 2048;
  const boot = { firstLba: FIRST_LBA, lastLba: FIRST_LBA + bootSectors - 1, sectors: bootSectors };
  const confFirst = boot.lastLba + 1;
  const conf = { firstLba: confFirst, lastLba: lastUsableLba, sectors: lastUsableLba - confFirst + 1 };
  return { diskSectors, lastUsableLba, boot, conf };
}
