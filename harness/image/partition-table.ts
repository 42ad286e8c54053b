import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { PartitionInfo } from './types.ts';

/**
 * Pure parser for protective/plain MBR and GPT partition tables. It never throws for odd
 * tables: what it could not make sense of goes into `notes`. Shared by inspectImage and the linter.
 */

/** Random access to a disk image (or a Buffer in tests). Reads past the end return short buffers. */
export interface DiskReader {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

export function bufferReader(buf: Buffer): DiskReader {
  return {
    size: buf.length,
    read: (offset, length) => buf.subarray(Math.min(offset, buf.length), Math.min(offset + length, buf.length)),
  };
}

/** A DiskReader over a file; call close() when done. */
export function openFileReader(path: string): DiskReader & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  let open = true;
  return {
    size,
    read(offset, length) {
      const len = Math.max(0, Math.min(length, size - offset));
      const buf = Buffer.alloc(len);
      let done = 0;
      while (done < len) {
        const n = readSync(fd, buf, done, len - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return buf.subarray(0, done);
    },
    close() {
      if (open) { open = false; closeSync(fd); }
    },
  };
}

export interface MbrEntry {
  index: number;
  status: number;
  active: boolean;
  type: number;
  firstLba: number;
  sectors: number;
}

export interface MbrInfo {
  hasSignature: boolean;
  diskSignature: number;
  entries: MbrEntry[];
  protective: boolean;
}

export interface GptHeader {
  lba: number;
  revision: number;
  headerSize: number;
  headerCrcOk: boolean;
  currentLba: number;
  backupLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  numEntries: number;
  entrySize: number;
  entriesCrc: number;
}

export interface PartitionTable {
  kind: 'gpt' | 'mbr' | 'none';
  mbr: MbrInfo;
  gpt: (GptHeader & { entriesCrcOk: boolean }) | null;
  /** Partitions with fs = 'unknown' (file systems are detected elsewhere). */
  partitions: PartitionInfo[];
  notes: string[];
}

const SECTOR = 512;

/** Formats a mixed-endian on-disk GUID as upper-case text. */
export function formatGuid(b: Buffer): string {
  const h = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => h(Buffer.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`.toUpperCase();
}

export function parseMbr(sector0: Buffer): MbrInfo {
  const hasSignature = sector0.length >= 512 && sector0[510] === 0x55 && sector0[511] === 0xaa;
  const entries: MbrEntry[] = [];
  if (sector0.length >= 512) {
    for (let i = 0; i < 4; i++) {
      const e = sector0.subarray(446 + i * 16, 462 + i * 16);
      const type = e[4]!;
      if (type === 0) continue;
      entries.push({ index: i + 1, status: e[0]!, active: e[0] === 0x80, type, firstLba: e.readUInt32LE(8), sectors: e.readUInt32LE(12) });
    }
  }
  return {
    hasSignature,
    diskSignature: sector0.length >= 444 ? sector0.readUInt32LE(440) : 0,
    entries,
    protective: hasSignature && entries.some((e) => e.type === 0xee),
  };
}

/** Parses a GPT header sector; null when the signature is absent. */
export function parseGptHeader(sector: Buffer, lba: number): GptHeader | null {
  if (sector.length < 92 || sector.toString('latin1', 0, 8) !== 'EFI PART') return null;
  const headerSize = sector.readUInt32LE(12);
  let headerCrcOk = false;
  if (headerSize >= 92 && headerSize <= sector.length) {
    const copy = Buffer.from(sector.subarray(0, headerSize));
    copy.writeUInt32LE(0, 16);
    headerCrcOk = crc32(copy) === sector.readUInt32LE(16);
  }
  return {
    lba,
    revision: sector.readUInt32LE(8),
    headerSize,
    headerCrcOk,
    currentLba: Number(sector.readBigUInt64LE(24)),
    backupLba: Number(sector.readBigUInt64LE(32)),
    firstUsableLba: Number(sector.readBigUInt64LE(40)),
    lastUsableLba: Number(sector.readBigUInt64LE(48)),
    diskGuid: formatGuid(sector.subarray(56, 72)),
    entriesLba: Number(sector.readBigUInt64LE(72)),
    numEntries: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    entriesCrc: sector.readUInt32LE(88),
  };
}

/** Parses the used GPT entries (type GUID not all-zero), numbered by their slot (1-based). */
export function parseGptEntries(entries: Buffer, header: GptHeader): PartitionInfo[] {
  const out: PartitionInfo[] = [];
  for (let i = 0; i < header.numEntries; i++) {
    const e = entries.subarray(i * header.entrySize, (i + 1) * header.entrySize);
    if (e.length < 128) break;
    if (e.subarray(0, 16).every((x) => x === 0)) continue;
    const attrs = e.readBigUInt64LE(48);
    out.push({
      number: i + 1,
      name: e.subarray(56, 128).toString('utf16le').replace(/\0[\s\S]*$/, ''),
      typeGuid: formatGuid(e.subarray(0, 16)),
      uniqueGuid: formatGuid(e.subarray(16, 32)),
      firstLba: Number(e.readBigUInt64LE(32)),
      lastLba: Number(e.readBigUInt64LE(40)),
      attributes: attrs.toString(),
      legacyBiosBootable: (attrs & 4n) !== 0n,
      fs: 'unknown',
    });
  }
  return out;
}

const EXTENDED = new Set([0x05, 0x0f, 0x85]);

function mbrPartition(number: number, type: number, active: boolean, firstLba: number, sectors: number): PartitionInfo {
  return {
    number,
    name: '',
    // MBR has no type GUID: the type byte, e.g. "0x83".
    typeGuid: `0x${type.toString(16).padStart(2, '0').toUpperCase()}`,
    uniqueGuid: '',
    firstLba,
    lastLba: firstLba + sectors - 1,
    attributes: active ? '128' : '0',
    legacyBiosBootable: active,
    fs: 'unknown',
  };
}

/** Plain MBR: primaries 1–4, logical partitions (EBR chain) from 5. */
function mbrPartitions(reader: DiskReader, mbr: MbrInfo, notes: string[]): PartitionInfo[] {
  const out: PartitionInfo[] = [];
  let logical = 5;
  for (const e of mbr.entries) {
    if (!EXTENDED.has(e.type)) {
      out.push(mbrPartition(e.index, e.type, e.active, e.firstLba, e.sectors));
      continue;
    }
    const seen = new Set<number>();
    let ebrLba = e.firstLba;
    while (ebrLba !== 0 && !seen.has(ebrLba) && seen.size < 128) {
      seen.add(ebrLba);
      const ebr = reader.read(ebrLba * SECTOR, SECTOR);
      if (ebr.length < 512 || ebr[510] !== 0x55 || ebr[511] !== 0xaa) { notes.push(`extended partition: EBR at LBA ${ebrLba} has no 55AA signature`); break; }
      const a = ebr.subarray(446, 462);
      const b = ebr.subarray(462, 478);
      if (a[4] !== 0) out.push(mbrPartition(logical++, a[4]!, a[0] === 0x80, ebrLba + a.readUInt32LE(8), a.readUInt32LE(12)));
      ebrLba = b[4] !== 0 ? e.firstLba + b.readUInt32LE(8) : 0;
    }
  }
  if (out.filter((p) => p.legacyBiosBootable).length > 1) notes.push('MBR: more than one active partition (gptmbr/mbr.bin would print "Multiple active partitions")');
  return out;
}

function readGpt(reader: DiskReader, lba: number, notes: string[]): (GptHeader & { entriesCrcOk: boolean; parts: PartitionInfo[] }) | null {
  const header = parseGptHeader(reader.read(lba * SECTOR, SECTOR), lba);
  if (!header) return null;
  if (!header.headerCrcOk) notes.push(`GPT header at LBA ${lba}: CRC32 mismatch`);
  if (header.entrySize < 128 || header.entrySize % 8 !== 0 || header.numEntries > 4096) {
    notes.push(`GPT header at LBA ${lba}: implausible entry table (${header.numEntries} entries of ${header.entrySize} bytes)`);
    return { ...header, entriesCrcOk: false, parts: [] };
  }
  const entries = reader.read(header.entriesLba * SECTOR, header.numEntries * header.entrySize);
  const entriesCrcOk = crc32(entries) === header.entriesCrc;
  if (!entriesCrcOk) notes.push(`GPT entries at LBA ${header.entriesLba}: CRC32 mismatch`);
  return { ...header, entriesCrcOk, parts: parseGptEntries(entries, header) };
}

/** Reads the partition table of a disk: GPT (primary, else backup header) or plain MBR. */
export function parsePartitionTable(reader: DiskReader): PartitionTable {
  const notes: string[] = [];
  const mbr = parseMbr(reader.read(0, SECTOR));
  if (!mbr.hasSignature) notes.push('no 55AA signature at byte 510: no MBR (SeaBIOS: "not a bootable disk")');
  let gpt = readGpt(reader, 1, notes);
  if (!gpt && mbr.protective) {
    const last = Math.floor(reader.size / SECTOR) - 1;
    notes.push('protective MBR but no GPT header at LBA 1');
    gpt = last > 1 ? readGpt(reader, last, notes) : null;
    if (gpt) notes.push(`using the backup GPT header at LBA ${last} (gptmbr.bin reads only the primary one)`);
  }
  if (gpt) {
    if (!mbr.protective) notes.push('GPT present but the MBR has no protective (0xEE) entry');
    else if (mbr.entries.length > 1) notes.push('hybrid MBR: the MBR holds entries besides the protective one');
    const { parts, ...header } = gpt;
    const boot = parts.filter((p) => p.legacyBiosBootable);
    if (boot.length > 1) notes.push(`GPT: ${boot.length} partitions have the LegacyBIOSBootable attribute; gptmbr.bin boots the first`);
    return { kind: 'gpt', mbr, gpt: header, partitions: parts, notes };
  }
  if (!mbr.hasSignature) return { kind: 'none', mbr, gpt: null, partitions: [], notes };
  if (mbr.entries.length === 0) {
    notes.push('MBR has no partition entries');
    return { kind: 'none', mbr, gpt: null, partitions: [], notes };
  }
  return { kind: 'mbr', mbr, gpt: null, partitions: mbrPartitions(reader, mbr, notes), notes };
}
