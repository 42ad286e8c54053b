import type { DiskReader } from './partition-table.ts';
import type { ByteRange, Region } from './types.ts';

/**
 * A small, pure FAT12/16/32 reader: enough to list directories and to say where each file's bytes lie
 * on the disk (the FAT's cluster chain), so the disk map can map a SYSLINUX-on-FAT boot partition the
 * way debugfs maps an ext one. It reads the boot sector's BPB and the first FAT only, never writes,
 * and reports what it cannot make sense of instead of throwing (except for a partition that is not FAT).
 */

export interface FatGeometry {
  type: 'FAT12' | 'FAT16' | 'FAT32';
  bytesPerSector: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  numFats: number;
  fatSectors: number;
  rootEntries: number;
  totalSectors: number;
  /** Byte offset (in the partition) of the first data sector (cluster 2). */
  dataOffset: number;
  clusterBytes: number;
  clusterCount: number;
  /** FAT32: first cluster of the root directory. */
  rootCluster: number;
  /** Byte offset (in the partition) of the FAT12/16 fixed root directory. */
  rootDirOffset: number;
  volumeId: number;
}

export interface FatEntry {
  /** Long name when present, else the 8.3 name (lower-cased as its NT case flags say). */
  name: string;
  shortName: string;
  attr: number;
  isDir: boolean;
  firstCluster: number;
  size: number;
}

export class FatError extends Error {}

/** Parses a FAT boot sector (BPB); throws FatError when it is not one. */
export function parseFatBootSector(bs: Buffer): FatGeometry {
  if (bs.length < 512) throw new FatError('boot sector shorter than 512 bytes');
  const bytesPerSector = bs.readUInt16LE(11);
  const sectorsPerCluster = bs[13]!;
  const reservedSectors = bs.readUInt16LE(14);
  const numFats = bs[16]!;
  const rootEntries = bs.readUInt16LE(17);
  const tot16 = bs.readUInt16LE(19);
  const fat16 = bs.readUInt16LE(22);
  const tot32 = bs.readUInt32LE(32);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) throw new FatError(`bytes per sector ${bytesPerSector} is not a FAT value`);
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) throw new FatError(`sectors per cluster ${sectorsPerCluster} is not a power of two`);
  if (reservedSectors === 0 || numFats === 0) throw new FatError('no reserved sectors or no FAT');
  const fatSectors = fat16 !== 0 ? fat16 : bs.readUInt32LE(36);
  const totalSectors = tot16 !== 0 ? tot16 : tot32;
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstData = reservedSectors + numFats * fatSectors + rootDirSectors;
  if (fatSectors === 0 || totalSectors <= firstData) throw new FatError('FAT size or sector count is implausible');
  const clusterCount = Math.floor((totalSectors - firstData) / sectorsPerCluster);
  // The FAT type follows from the cluster count alone (Microsoft's FAT spec), never from the label text.
  const type = clusterCount < 4085 ? 'FAT12' : clusterCount < 65525 ? 'FAT16' : 'FAT32';
  return {
    type,
    bytesPerSector,
    sectorsPerCluster,
    reservedSectors,
    numFats,
    fatSectors,
    rootEntries,
    totalSectors,
    dataOffset: firstData * bytesPerSector,
    clusterBytes: sectorsPerCluster * bytesPerSector,
    clusterCount,
    rootCluster: type === 'FAT32' ? bs.readUInt32LE(44) : 0,
    rootDirOffset: (reservedSectors + numFats * fatSectors) * bytesPerSector,
    volumeId: bs.readUInt32LE(type === 'FAT32' ? 67 : 39),
  };
}

/** A FAT file system at byte `offset` of a disk. */
export class FatVolume {
  readonly geo: FatGeometry;
  readonly #fat: Buffer;

  constructor(private readonly reader: DiskReader, readonly offset: number) {
    this.geo = parseFatBootSector(reader.read(offset, 512));
    const g = this.geo;
    this.#fat = reader.read(offset + g.reservedSectors * g.bytesPerSector, g.fatSectors * g.bytesPerSector);
  }

  /** The FAT entry of cluster n. */
  next(n: number): number {
    const f = this.#fat;
    switch (this.geo.type) {
      case 'FAT12': {
        const o = n + (n >> 1);
        if (o + 1 >= f.length) return 0x0fff;
        const v = f.readUInt16LE(o);
        return n & 1 ? v >> 4 : v & 0x0fff;
      }
      case 'FAT16':
        return 2 * n + 1 < f.length ? f.readUInt16LE(2 * n) : 0xffff;
      case 'FAT32':
        return 4 * n + 3 < f.length ? f.readUInt32LE(4 * n) & 0x0fffffff : 0x0fffffff;
    }
  }

  #isEnd(v: number): boolean {
    const eoc = this.geo.type === 'FAT12' ? 0xff8 : this.geo.type === 'FAT16' ? 0xfff8 : 0x0ffffff8;
    return v >= eoc - 1 || v < 2; // bad cluster (EOC-1), end of chain, or free/reserved: the chain ends
  }

  /** Clusters of the chain that starts at `first` (stops at the end mark, a loop or a cluster out of range). */
  chain(first: number, notes: string[] = []): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    let c = first;
    while (c >= 2 && c < this.geo.clusterCount + 2) {
      if (seen.has(c)) { notes.push(`cluster chain from ${first} loops at cluster ${c}`); break; }
      seen.add(c);
      out.push(c);
      const n = this.next(c);
      if (this.#isEnd(n)) break;
      c = n;
    }
    if (first >= 2 && out.length === 0) notes.push(`cluster ${first} is outside the volume (${this.geo.clusterCount} clusters)`);
    return out;
  }

  /** Absolute disk byte range of cluster n. */
  clusterRange(n: number): ByteRange {
    const start = this.offset + this.geo.dataOffset + (n - 2) * this.geo.clusterBytes;
    return { start, end: start + this.geo.clusterBytes };
  }

  /** Absolute disk byte ranges of a chain's first `size` bytes, in file order, contiguous clusters merged. */
  ranges(first: number, size: number, notes: string[] = []): ByteRange[] {
    const out: ByteRange[] = [];
    let left = size;
    for (const c of this.chain(first, notes)) {
      if (left <= 0) break;
      const r = this.clusterRange(c);
      const end = r.start + Math.min(left, this.geo.clusterBytes);
      left -= end - r.start;
      const last = out.at(-1);
      if (last && last.end === r.start) last.end = end;
      else out.push({ start: r.start, end });
    }
    if (left > 0) notes.push(`cluster chain from ${first} holds ${size - left} of ${size} bytes`);
    return out;
  }

  /** Entries of the root directory. */
  root(): FatEntry[] {
    const g = this.geo;
    if (g.type === 'FAT32') return this.#dirFromChain(g.rootCluster);
    return parseDirEntries(this.reader.read(this.offset + g.rootDirOffset, g.rootEntries * 32));
  }

  #dirFromChain(first: number): FatEntry[] {
    const parts = this.chain(first).map((c) => { const r = this.clusterRange(c); return this.reader.read(r.start, r.end - r.start); });
    return parseDirEntries(Buffer.concat(parts));
  }

  /** Entries of the directory at `path` ("/", "/syslinux", "/boot/syslinux"), or null when it does not exist. */
  list(path: string): FatEntry[] | null {
    let entries = this.root();
    for (const part of path.split('/').filter(Boolean)) {
      const d = entries.find((e) => e.isDir && e.name.toLowerCase() === part.toLowerCase());
      if (!d) return null;
      entries = d.firstCluster === 0 ? this.root() : this.#dirFromChain(d.firstCluster);
    }
    return entries;
  }
}

function lfnChars(e: Buffer): number[] {
  const out: number[] = [];
  for (const [a, b] of [[1, 11], [14, 26], [28, 32]] as const) for (let i = a; i < b; i += 2) out.push(e.readUInt16LE(i));
  return out;
}

function shortChecksum(name11: Buffer): number {
  let sum = 0;
  for (const c of name11) sum = (((sum & 1) << 7) + (sum >> 1) + c) & 0xff;
  return sum;
}

/** Parses raw 32-byte directory entries: long names, 8.3 names with NT case flags; skips ., .., deleted and labels. */
export function parseDirEntries(buf: Buffer): FatEntry[] {
  const out: FatEntry[] = [];
  let lfn: { parts: Map<number, number[]>; sum: number } | null = null;
  for (let o = 0; o + 32 <= buf.length; o += 32) {
    const e = buf.subarray(o, o + 32);
    if (e[0] === 0x00) break;
    if (e[0] === 0xe5) { lfn = null; continue; }
    const attr = e[11]!;
    if ((attr & 0x3f) === 0x0f) {
      const ord = e[0]! & 0x3f;
      if (e[0]! & 0x40 || !lfn) lfn = { parts: new Map(), sum: e[13]! };
      lfn.parts.set(ord, lfnChars(e));
      continue;
    }
    const name11 = e.subarray(0, 11);
    const long = lfn && lfn.sum === shortChecksum(name11) ? lfn : null;
    lfn = null;
    if (attr & 0x08) continue; // volume label
    const raw = Buffer.from(name11);
    if (raw[0] === 0x05) raw[0] = 0xe5;
    let base = raw.toString('latin1', 0, 8).trimEnd();
    let ext = raw.toString('latin1', 8, 11).trimEnd();
    const shortName = ext ? `${base}.${ext}` : base;
    if (shortName === '.' || shortName === '..') continue;
    if (e[12]! & 0x08) base = base.toLowerCase();
    if (e[12]! & 0x10) ext = ext.toLowerCase();
    let name = ext ? `${base}.${ext}` : base;
    if (long) {
      const chars: number[] = [];
      for (const k of [...long.parts.keys()].sort((a, b) => a - b)) chars.push(...long.parts.get(k)!);
      const end = chars.indexOf(0);
      name = String.fromCharCode(...(end >= 0 ? chars.slice(0, end) : chars.filter((c) => c !== 0xffff)));
    }
    const firstCluster = (e.readUInt16LE(20) << 16) | e.readUInt16LE(26);
    out.push({ name, shortName, attr, isDir: (attr & 0x10) !== 0, firstCluster: firstCluster >>> 0, size: e.readUInt32LE(28) });
  }
  return out;
}

/**
 * Maps the SYSLINUX directory of a FAT boot partition: the first of `dirs` holding ldlinux.sys, and the
 * byte ranges of every file in it (from the FAT's cluster chains). Notes say what could not be mapped.
 */
export function mapFatSyslinuxFiles(reader: DiskReader, offset: number, partition: number, dirs: readonly string[]): { dir: string | null; regions: Region[]; notes: string[] } {
  const notes: string[] = [];
  let vol: FatVolume;
  try {
    vol = new FatVolume(reader, offset);
  } catch (e) {
    return { dir: null, regions: [], notes: [`boot partition ${partition}: not a FAT file system this reader understands (${(e as Error).message})`] };
  }
  for (const dir of dirs) {
    const entries = vol.list(dir);
    if (!entries?.some((e) => !e.isDir && e.name.toLowerCase() === 'ldlinux.sys')) continue;
    const regions: Region[] = [];
    for (const f of entries.filter((e) => !e.isDir)) {
      const path = dir === '/' ? `/${f.name}` : `${dir}/${f.name}`;
      const fileNotes: string[] = [];
      const ranges = f.size > 0 ? vol.ranges(f.firstCluster, f.size, fileNotes) : [];
      notes.push(...fileNotes.map((n) => `${path}: ${n}`));
      regions.push({ name: path, kind: 'file', partition, path, size: f.size, ranges });
    }
    return { dir, regions, notes };
  }
  notes.push(`no ldlinux.sys in ${dirs.join(', ')} of FAT partition ${partition}: SYSLINUX is not installed there`);
  return { dir: null, regions: [], notes };
}
