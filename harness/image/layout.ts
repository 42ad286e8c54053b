import { BootchainError } from '../errors.ts';
import type { ImageLayout } from './types.ts';

export const SECTOR = 512;
/** First partition starts at 1 MiB, like sgdisk/sfdisk's default alignment (and the seed). */
export const FIRST_LBA = 2048;
/** Protective MBR + GPT header + 128 entries of 128 bytes = 34 sectors at each end (33 at the back). */
const GPT_BACKUP_SECTORS = 33;
export const LINUX_FS_GUID = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
export const ALLOWED_FS = ['ext2', 'ext3', 'ext4'] as const;

export const DEFAULT_LAYOUT: ImageLayout = {
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
  for (const f of ['bootFs', 'confFs'] as const) {
    const v: unknown = layout[f];
    if (!(ALLOWED_FS as readonly unknown[]).includes(v)) bad(f, `must be one of ${ALLOWED_FS.join(', ')}, got \`${String(v)}\``, 'SYSLINUX (extlinux) needs ext2/3/4');
  }
  // The conf partition needs room for a file system: at least 1 MiB after the boot partition.
  const needMiB = FIRST_LBA / 2048 + layout.bootMiB + 1 + 1;
  if (layout.diskMiB < needMiB) {
    bad('bootMiB', `(${layout.bootMiB} MiB) plus the conf partition does not fit the disk (diskMiB ${layout.diskMiB}): need diskMiB ≥ ${needMiB}`, `raise diskMiB or lower bootMiB`);
  }
  if (layout.bootMiB < 1) bad('bootMiB', 'must be at least 1', 'SYSLINUX needs ~200 KiB plus your files');
}

/** Sector plan of a validated layout: p1 from 2048 for bootMiB, p2 to the last usable sector. */
export function planPartitions(layout: ImageLayout): PartitionPlan {
  const diskSectors = layout.diskMiB * 2048;
  const lastUsableLba = diskSectors - GPT_BACKUP_SECTORS - 1;
  const bootSectors = layout.bootMiB * 2048;
  const boot = { firstLba: FIRST_LBA, lastLba: FIRST_LBA + bootSectors - 1, sectors: bootSectors };
  const confFirst = boot.lastLba + 1;
  const conf = { firstLba: confFirst, lastLba: lastUsableLba, sectors: lastUsableLba - confFirst + 1 };
  return { diskSectors, lastUsableLba, boot, conf };
}
