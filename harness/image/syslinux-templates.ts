import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BootchainError } from '../errors.ts';
import { requireTool } from './host-tools.ts';

/** SYSLINUX's patch-area magic (libinstaller/syslxint.h: LDLINUX_MAGIC). */
export const LDLINUX_MAGIC = 0x3eb202fe;
const SECTOR = 512;

/**
 * What `extlinux --install` writes, as the installed `extlinux` binary carries it: SYSLINUX's build turns
 * core/ldlinux.bss (the partition boot sector), core/ldlinux.sys (padded to 512 bytes) and ldlinux.c32 into
 * C arrays (bin2c) linked into the installer's .data section, with their lengths as constants in .rodata.
 */
export interface ExtlinuxTemplates {
  /** The binary the templates came from, and its sha256 (part of the image cache key). */
  source: string;
  sha256: string;
  /** ldlinux.bss: the 512-byte boot sector template (FAT-style header, ends in 55AA). */
  bootSector: Buffer;
  /** ldlinux.sys without its ADV (a multiple of 512 bytes), unpatched. */
  ldlinuxSys: Buffer;
  /** ldlinux.c32 (an ELF32 file). */
  ldlinuxC32: Buffer;
}

interface Section {
  name: string;
  offset: number;
  size: number;
}

/** Section headers of an ELF64 little-endian file (the installed x86-64 extlinux). */
function elf64Sections(b: Buffer, file: string): Section[] {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new BootchainError('EXTLINUX_TEMPLATES', `${file} is not a 64-bit little-endian ELF program`, 'install Debian\'s extlinux package (apt-get install extlinux), or build with --builder loop (root)');
  }
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return { nameOff: b.readUInt32LE(o), offset: Number(b.readBigUInt64LE(o + 0x18)), size: Number(b.readBigUInt64LE(o + 0x20)) };
  });
  const strtab = raw[shstrndx];
  if (!strtab) return [];
  return raw.map((s) => {
    const start = strtab.offset + s.nameOff;
    return { name: b.toString('latin1', start, b.indexOf(0, start)), offset: s.offset, size: s.size };
  });
}

/** Every 32-bit little-endian value in a buffer at 4-byte alignment (the bin2c length constants). */
function u32Set(b: Buffer): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i + 4 <= b.length; i += 4) out.add(b.readUInt32LE(i));
  return out;
}

/** Size of an ELF32 file from its header: its section header table is the last thing in it. */
function elf32Size(b: Buffer, at: number): number {
  const shoff = b.readUInt32LE(at + 0x20);
  return shoff + b.readUInt16LE(at + 0x2e) * b.readUInt16LE(at + 0x30);
}

/**
 * Locates the three templates inside an extlinux binary and checks each against its own structure and
 * against the length constants next to them, so a different SYSLINUX build fails loudly instead of
 * producing a wrong image.
 */
export function extractExtlinuxTemplates(bin: Buffer, file: string): ExtlinuxTemplates {
  const fail = (what: string): never => {
    throw new BootchainError('EXTLINUX_TEMPLATES', `could not find ${what} inside ${file}: this extlinux build is not one bootchain knows (SYSLINUX 6.0x, Debian)`, 'build with `--builder loop` (root: loop-mounts and runs the real `extlinux --install`), and report the extlinux version (extlinux --version)');
  };
  const sections = elf64Sections(bin, file);
  const data = sections.find((s) => s.name === '.data') ?? fail('a .data section');
  const rodata = sections.find((s) => s.name === '.rodata') ?? fail('a .rodata section');
  const d = bin.subarray(data.offset, data.offset + data.size);
  const lengths = u32Set(bin.subarray(rodata.offset, rodata.offset + rodata.size));
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(LDLINUX_MAGIC);

  // Boot sector: jmp, OEM "SYSLINUX", LDLINUX_MAGIC as bsMagic at 0x1f8, 55AA; its length constant is 512.
  const boots: number[] = [];
  for (let i = d.indexOf('SYSLINUX', 0, 'latin1'); i >= 0; i = d.indexOf('SYSLINUX', i + 1, 'latin1')) {
    const s = i - 3;
    if (s >= 0 && s + SECTOR <= d.length && d[s] === 0xeb && d.readUInt32LE(s + 0x1f8) === LDLINUX_MAGIC && d[s + 510] === 0x55 && d[s + 511] === 0xaa) boots.push(s);
  }
  if (boots.length !== 1 || !lengths.has(SECTOR)) fail(`the boot sector template (ldlinux.bss; ${boots.length} candidates)`);
  const bootSector = Buffer.from(d.subarray(boots[0]!, boots[0]! + SECTOR));

  // ldlinux.c32: the one ELF32 i386 file in .data, its size from its header, equal to a length constant.
  let c32: Buffer | undefined;
  for (let i = d.indexOf('\x7fELF', 0, 'latin1'); i >= 0; i = d.indexOf('\x7fELF', i + 1, 'latin1')) {
    if (d[i + 4] !== 1 || d.readUInt16LE(i + 0x12) !== 3) continue;
    const size = elf32Size(d, i);
    if (lengths.has(size) && i + size <= d.length) {
      if (c32) fail('ldlinux.c32 (more than one ELF32 file)');
      c32 = Buffer.from(d.subarray(i, i + size));
    }
  }
  if (!c32) fail('ldlinux.c32');

  // ldlinux.sys: starts with "\r\nSYSLINUX", holds the patch area (LDLINUX_MAGIC) in its first sector; its
  // length is a multiple of 512 found among the length constants.
  const sysStarts: number[] = [];
  for (let i = d.indexOf('\r\nSYSLINUX', 0, 'latin1'); i >= 0; i = d.indexOf('\r\nSYSLINUX', i + 1, 'latin1')) {
    const m = d.indexOf(magic, i);
    if (m >= 0 && m - i < SECTOR && (m - i) % 4 === 0) sysStarts.push(i);
  }
  if (sysStarts.length !== 1) fail(`ldlinux.sys (${sysStarts.length} candidates)`);
  const start = sysStarts[0]!;
  const fits = [...lengths].filter((n) => n % SECTOR === 0 && n >= 16 * 1024 && n <= 64 * 1024 && start + n <= d.length);
  // Between the end of ldlinux.sys and the next array there is only alignment padding (zeros, < 64 bytes).
  const len = fits.filter((n) => {
    const tail = d.subarray(start + n, Math.min(d.length, start + n + 32));
    return tail.length === 0 || tail.every((x) => x === 0) || tail.indexOf('\x7fELF', 0, 'latin1') === 0 || tail.indexOf('SYSLINUX', 0, 'latin1') === 3;
  });
  if (len.length !== 1) fail(`the length of ldlinux.sys (${len.length} candidates)`);
  const ldlinuxSys = Buffer.from(d.subarray(start, start + len[0]!));
  return { source: file, sha256: createHash('sha256').update(bin).digest('hex'), bootSector, ldlinuxSys, ldlinuxC32: c32! };
}

let cached: ExtlinuxTemplates | undefined;

/** The templates of the host's extlinux (memoized per process). */
export function extlinuxTemplates(): ExtlinuxTemplates {
  if (cached) return cached;
  const file = requireTool('extlinux');
  let bin: Buffer;
  try {
    bin = readFileSync(file);
  } catch (e) {
    throw new BootchainError('EXTLINUX_TEMPLATES', `cannot read ${file}: ${(e as Error).message}`, 'bootchain reads the boot sector, ldlinux.sys and ldlinux.c32 out of the extlinux program; make it readable');
  }
  cached = extractExtlinuxTemplates(bin, file);
  return cached;
}
