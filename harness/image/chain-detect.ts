import { existsSync, readFileSync } from 'node:fs';
import type { DiskReader } from './partition-table.ts';
import type { ChainInfo, DiskMap, MbrCodeKind } from './types.ts';

/**
 * Which BIOS boot chain an image has, read from its own bytes: the MBR code (fingerprinted against the
 * host's own copies of the known boot codes, else by the messages compiled into it), the partition scheme
 * (GPT, MBR, ISO 9660 hybrid) and the loader the boot partition holds.
 */

/** Host files of known MBR boot codes (Debian: syslinux-common, isolinux, grub-pc-bin). */
const KNOWN_MBR_FILES: Array<{ kind: MbrCodeKind; files: string[] }> = [
  { kind: 'gptmbr', files: ['/usr/lib/syslinux/mbr/gptmbr.bin', '/usr/lib/syslinux/mbr/extra/gptmbr_c.bin', '/usr/lib/syslinux/mbr/extra/gptmbr_f.bin', '/usr/lib/EXTLINUX/gptmbr.bin'] },
  { kind: 'mbr', files: ['/usr/lib/syslinux/mbr/mbr.bin', '/usr/lib/syslinux/mbr/extra/mbr_c.bin', '/usr/lib/syslinux/mbr/extra/mbr_f.bin', '/usr/lib/EXTLINUX/mbr.bin'] },
  { kind: 'altmbr', files: ['/usr/lib/syslinux/mbr/altmbr.bin', '/usr/lib/syslinux/mbr/extra/altmbr_c.bin', '/usr/lib/syslinux/mbr/extra/altmbr_f.bin'] },
  { kind: 'isohdpfx', files: ['/usr/lib/ISOLINUX/isohdpfx.bin', '/usr/lib/ISOLINUX/isohdpfx_c.bin', '/usr/lib/ISOLINUX/isohdpfx_f.bin', '/usr/lib/ISOLINUX/isohdppx.bin'] },
  { kind: 'grub-boot', files: ['/usr/lib/grub/i386-pc/boot.img'] },
];

/** Messages compiled into each boot code: a fallback when the host lacks the file. */
const SIGNATURES: Array<{ kind: MbrCodeKind; text: string }> = [
  { kind: 'gptmbr', text: 'Missing OS' },
  { kind: 'isohdpfx', text: 'isolinux.bin missing or corrupt' },
  { kind: 'mbr', text: 'Missing operating system.' },
  { kind: 'grub-boot', text: 'GRUB \0Geom\0Hard Disk\0Read\0 Error' },
];

/** Bytes of a boot code that the installers patch (disk signature area, LBAs): compared up to here. */
const CODE_BYTES = 432;
/** Where GRUB's boot.img keeps its BIOS parameter block and the fields grub-bios-setup patches (kernel sector, boot drive, the drive-check jump): skipped when comparing. */
const GRUB_VARIABLE = [[0x03, 0x5a], [0x5c, 0x68]] as const;

let hostCodes: Array<{ kind: MbrCodeKind; file: string; code: Buffer }> | null = null;

function loadHostCodes(): Array<{ kind: MbrCodeKind; file: string; code: Buffer }> {
  hostCodes ??= KNOWN_MBR_FILES.flatMap(({ kind, files }) => files.filter((f) => existsSync(f)).map((file) => ({ kind, file, code: readFileSync(file) })));
  return hostCodes;
}

function sameCode(a: Buffer, b: Buffer, kind: MbrCodeKind): boolean {
  const n = Math.min(CODE_BYTES, a.length, b.length);
  if (n < 64) return false;
  for (let i = 0; i < n; i++) {
    if (kind === 'grub-boot' && GRUB_VARIABLE.some(([s, e]) => i >= s && i < e)) continue;
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Fingerprints the first 440 bytes of a disk. */
export function identifyMbrCode(mbr: Buffer): ChainInfo['mbrCode'] {
  const code = mbr.subarray(0, 440);
  if (code.every((b) => b === 0)) return { kind: 'zero', how: 'all zeros: no boot code' };
  for (const h of loadHostCodes()) if (sameCode(code, h.code, h.kind)) return { kind: h.kind, how: `identical to ${h.file}`, file: h.file };
  const text = code.toString('latin1');
  for (const s of SIGNATURES) if (text.includes(s.text)) return { kind: s.kind, how: `contains "${s.text.replaceAll('\0', ' ')}" (no identical host file)` };
  return { kind: 'unknown', how: 'matches no known boot code' };
}

const ISO_PVD = 16 * 2048;

/** True when the image carries an ISO 9660 volume (primary volume descriptor "CD001" at 32 KiB). */
export function hasIso9660(reader: DiskReader): boolean {
  const d = reader.read(ISO_PVD, 8);
  return d.length >= 6 && d[0] === 1 && d.toString('latin1', 1, 6) === 'CD001';
}

/** The loader the image's chain hands over to, from the scheme, the MBR code and the boot partition. */
export function detectChain(reader: DiskReader, map: Pick<DiskMap, 'partitionTable' | 'bootPartition' | 'partitions' | 'syslinuxDir'>): ChainInfo {
  const mbrCode = identifyMbrCode(reader.read(0, 512));
  const iso = hasIso9660(reader);
  const scheme: ChainInfo['scheme'] = iso && mbrCode.kind !== 'gptmbr' ? 'iso-hybrid' : map.partitionTable;
  const boot = map.partitions.find((p) => p.number === map.bootPartition);
  let loader: ChainInfo['loader'];
  if (mbrCode.kind === 'grub-boot') loader = { kind: 'grub', where: 'core.img after the MBR (or in a BIOS boot partition)' };
  else if (scheme === 'iso-hybrid') loader = { kind: 'isolinux', where: 'isolinux.bin on the ISO 9660 volume, loaded by the MBR code' };
  else if (boot && map.syslinuxDir && boot.fs.startsWith('ext')) loader = { kind: 'extlinux', where: `partition ${boot.number} (${boot.fs}) ${map.syslinuxDir}` };
  else if (boot && boot.fs === 'vfat') loader = { kind: 'syslinux-fat', where: `partition ${boot.number} (FAT)${map.syslinuxDir ? ` ${map.syslinuxDir}` : ''}` };
  else if (boot && boot.fs.startsWith('ext')) loader = { kind: 'none', where: `partition ${boot.number} (${boot.fs}) holds no ldlinux.sys` };
  else loader = { kind: 'unknown' };
  const ladder: ChainInfo['ladder'] =
    loader.kind === 'grub' ? 'grub' : loader.kind === 'isolinux' ? 'isolinux-hybrid' : loader.kind === 'extlinux' || loader.kind === 'syslinux-fat' || loader.kind === 'none' || mbrCode.kind === 'gptmbr' || mbrCode.kind === 'mbr' || mbrCode.kind === 'altmbr' ? 'syslinux' : 'unknown';
  return { mbrCode, scheme, loader, ladder };
}

/** One line for reports: "gptmbr.bin (identical to …) → GPT → EXTLINUX on partition 1 (ext2) /extlinux". */
export function describeChain(c: ChainInfo): string {
  const code = { gptmbr: 'gptmbr.bin', mbr: 'mbr.bin', altmbr: 'altmbr.bin', isohdpfx: 'isohdpfx.bin', 'grub-boot': "GRUB's boot.img", zero: 'no MBR code', unknown: 'unknown MBR code' }[c.mbrCode.kind];
  const scheme = { gpt: 'GPT', mbr: 'MBR partitions', 'iso-hybrid': 'ISO 9660 hybrid', none: 'no partition table' }[c.scheme];
  const loader = { extlinux: 'EXTLINUX', 'syslinux-fat': 'SYSLINUX on FAT', isolinux: 'ISOLINUX', grub: 'GRUB 2 (i386-pc)', none: 'no loader', unknown: 'unknown loader' }[c.loader.kind];
  return `${code} (${c.mbrCode.how}) → ${scheme} → ${loader}${c.loader.where ? ` (${c.loader.where})` : ''}${c.config ? `, config ${c.config}` : ''}${c.kernel ? ` → kernel ${c.kernel}` : ''}; ladder: ${c.ladder}`;
}
