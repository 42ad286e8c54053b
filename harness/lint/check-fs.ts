import { finding, type LintFinding } from './types.ts';
import type { LintContext } from './lint-context.ts';

/**
 * ext incompat/ro_compat features and what SYSLINUX 6.04's ext2 reader (core/fs/ext2) makes of
 * them. It reads block groups, extents and linear directories; it never checks checksums.
 */
const INCOMPAT: Array<[number, string, 'error' | 'warning', string]> = [
  [0x0001, 'compression', 'error', 'compressed files cannot be read'],
  [0x0004, 'needs_recovery', 'warning', 'the journal has not been replayed: files may be stale (run e2fsck)'],
  [0x0008, 'journal_dev', 'error', 'this is an external journal device, not a file system'],
  [0x0010, 'meta_bg', 'error', 'group descriptors are not where SYSLINUX looks for them'],
  [0x0080, '64bit', 'warning', '64-bit group descriptors: SYSLINUX before 6.04 cannot read them; not verified on this build'],
  [0x1000, 'dirdata', 'error', 'directory entries carry extra data SYSLINUX does not parse'],
  [0x8000, 'inline_data', 'error', 'small files (extlinux.conf, scripts) may live inside the inode, which SYSLINUX cannot read'],
  [0x10000, 'encrypt', 'error', 'encrypted files cannot be read'],
];
const KNOWN_INCOMPAT = 0x0002 | 0x0040 | 0x0100 | 0x0200 | 0x0400 | 0x2000 | 0x4000 | 0x20000 | INCOMPAT.reduce((m, [b]) => m | b, 0);

/** Check 9: features of the boot partition's ext file system SYSLINUX 6.04 cannot handle. */
export function checkFsFeatures(ctx: LintContext): LintFinding[] {
  const { boot } = ctx;
  if (!boot) return [];
  const head = ctx.reader.read(boot.firstLba * 512, 2048);
  const where = `partition ${boot.number}`;
  if (head.length < 2048 || head.readUInt16LE(1024 + 56) !== 0xef53) {
    const fs = ctx.map.partitions.find((p) => p.number === boot.number)?.fs ?? 'unknown';
    // SYSLINUX on FAT (`syslinux --install`) is a chain of its own: its boot sector and ldlinux.sys are checked by the SYSLINUX checks.
    if (fs === 'vfat') return [finding('info', 'LINT_BOOT_FS_FAT', 'vbr', `boot ${where} is FAT: SYSLINUX on FAT (installed with syslinux --install)`, 'none')];
    return [finding('error', 'LINT_BOOT_FS_NOT_EXT', 'vbr', `boot ${where} is ${fs}, not ext2/3/4: EXTLINUX needs ext2/3/4 (or btrfs/xfs), FAT needs syslinux instead`, 'mkfs.ext2 the boot partition and run extlinux --install')];
  }
  const sb = head.subarray(1024);
  const incompat = sb.readUInt32LE(96);
  const out: LintFinding[] = [];
  for (const [bit, name, sev, why] of INCOMPAT) {
    if (incompat & bit) out.push(finding(sev, `LINT_FS_FEATURE_${name.toUpperCase()}`, 'ldlinux-sys', `${where}: ext feature ${name} is on: ${why}`, `recreate the boot fs without it (mke2fs -O ^${name}), or as plain ext2 like the seed`));
  }
  const unknown = incompat & ~KNOWN_INCOMPAT;
  if (unknown) out.push(finding('warning', 'LINT_FS_FEATURE_UNKNOWN', 'ldlinux-sys', `${where}: unknown ext incompat feature bits 0x${unknown.toString(16)}`, 'use plain ext2 for the boot partition'));
  const logBlock = sb.readUInt32LE(24);
  if (logBlock > 6) out.push(finding('error', 'LINT_FS_BLOCK_SIZE', 'ldlinux-sys', `${where}: block size 2^${10 + logBlock} is too large for SYSLINUX`, 'mke2fs -b 1024 or 4096'));
  const inodeSize = sb.readUInt32LE(76) >= 1 ? sb.readUInt16LE(88) : 128;
  if (inodeSize > 1024) out.push(finding('warning', 'LINT_FS_INODE_SIZE', 'ldlinux-sys', `${where}: inode size ${inodeSize}`, 'mke2fs -I 256'));
  return out;
}
