import { crc32 } from 'node:zlib';
import t from 'tap';
import { detectFs } from '../../harness/image/fs-detect.ts';
import { bufferReader, formatGuid, parsePartitionTable } from '../../harness/image/partition-table.ts';

const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

function guidBytes(g: string): Buffer {
  const h = g.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

interface Part { first: number; last: number; name: string; attrs: bigint; type?: string }

/** A small GPT disk: protective MBR, header at LBA 1, 128 entries at LBA 2, backup header at the end. */
function craftGpt(sectors: number, parts: Part[], opts: { corruptHeader?: boolean; noProtective?: boolean } = {}): Buffer {
  const disk = Buffer.alloc(sectors * 512);
  if (!opts.noProtective) {
    disk[446 + 4] = 0xee;
    disk.writeUInt32LE(1, 446 + 8);
    disk.writeUInt32LE(sectors - 1, 446 + 12);
  }
  disk[510] = 0x55; disk[511] = 0xaa;
  const entries = Buffer.alloc(128 * 128);
  parts.forEach((p, i) => {
    const e = entries.subarray(i * 128);
    guidBytes(p.type ?? LINUX).copy(e, 0);
    guidBytes(`00000000-0000-4000-8000-00000000000${i + 1}`).copy(e, 16);
    e.writeBigUInt64LE(BigInt(p.first), 32);
    e.writeBigUInt64LE(BigInt(p.last), 40);
    e.writeBigUInt64LE(p.attrs, 48);
    e.write(p.name, 56, 'utf16le');
  });
  const header = (lba: number, backup: number, entriesLba: number) => {
    const h = Buffer.alloc(512);
    h.write('EFI PART', 0, 'latin1');
    h.writeUInt32LE(0x10000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(lba), 24);
    h.writeBigUInt64LE(BigInt(backup), 32);
    h.writeBigUInt64LE(34n, 40);
    h.writeBigUInt64LE(BigInt(sectors - 34), 48);
    guidBytes('DA307D18-07FB-4605-B630-EF355CBF2F2A').copy(h, 56);
    h.writeBigUInt64LE(BigInt(entriesLba), 72);
    h.writeUInt32LE(128, 80);
    h.writeUInt32LE(128, 84);
    h.writeUInt32LE(crc32(entries), 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  header(1, sectors - 1, 2).copy(disk, 512);
  entries.copy(disk, 1024);
  entries.copy(disk, (sectors - 33) * 512);
  header(sectors - 1, 1, sectors - 33).copy(disk, (sectors - 1) * 512);
  if (opts.corruptHeader) disk.fill(0, 512, 520);
  return disk;
}

t.test('GUID formatting is mixed-endian', async (t) => {
  t.equal(formatGuid(guidBytes(LINUX)), LINUX);
});

t.test('GPT with a legacy-BIOS-bootable partition', async (t) => {
  const disk = craftGpt(200, [
    { first: 40, last: 99, name: 'boot', attrs: 4n },
    { first: 100, last: 166, name: 'conf', attrs: 0n },
  ]);
  const pt = parsePartitionTable(bufferReader(disk));
  t.equal(pt.kind, 'gpt');
  t.ok(pt.mbr.protective);
  t.ok(pt.gpt?.headerCrcOk);
  t.ok(pt.gpt?.entriesCrcOk);
  t.equal(pt.gpt?.diskGuid, 'DA307D18-07FB-4605-B630-EF355CBF2F2A');
  t.same(pt.partitions.map((p) => [p.number, p.name, p.firstLba, p.lastLba, p.typeGuid, p.attributes, p.legacyBiosBootable]), [
    [1, 'boot', 40, 99, LINUX, '4', true],
    [2, 'conf', 100, 166, LINUX, '0', false],
  ]);
  t.same(pt.notes, []);
});

t.test('CRC damage and multiple bootable partitions are noted, not thrown', async (t) => {
  const disk = craftGpt(200, [
    { first: 40, last: 99, name: 'a', attrs: 4n },
    { first: 100, last: 166, name: 'b', attrs: 4n | (1n << 60n) },
  ]);
  disk[1024 + 56] = 0x41; // change a name byte: entries CRC no longer matches
  const pt = parsePartitionTable(bufferReader(disk));
  t.equal(pt.kind, 'gpt');
  t.notOk(pt.gpt?.entriesCrcOk);
  t.match(pt.notes.join('\n'), /entries at LBA 2: CRC32 mismatch/);
  t.match(pt.notes.join('\n'), /2 partitions have the LegacyBIOSBootable attribute/);
  t.equal(pt.partitions[1]?.attributes, ((1n << 60n) | 4n).toString());
});

t.test('a damaged primary header falls back to the backup', async (t) => {
  const disk = craftGpt(200, [{ first: 40, last: 99, name: 'boot', attrs: 4n }], { corruptHeader: true });
  const pt = parsePartitionTable(bufferReader(disk));
  t.equal(pt.kind, 'gpt');
  t.equal(pt.gpt?.lba, 199);
  t.equal(pt.partitions[0]?.name, 'boot');
  t.match(pt.notes.join('\n'), /backup GPT header/);
});

t.test('GPT without protective MBR entry is noted', async (t) => {
  const pt = parsePartitionTable(bufferReader(craftGpt(200, [{ first: 40, last: 99, name: 'x', attrs: 0n }], { noProtective: true })));
  t.equal(pt.kind, 'gpt');
  t.match(pt.notes.join('\n'), /no protective/);
});

function mbrEntry(disk: Buffer, slot: number, status: number, type: number, first: number, count: number, base = 0) {
  const o = base + 446 + slot * 16;
  disk[o] = status; disk[o + 4] = type;
  disk.writeUInt32LE(first, o + 8);
  disk.writeUInt32LE(count, o + 12);
}

t.test('plain MBR: active flag, logical partitions in an extended one', async (t) => {
  const disk = Buffer.alloc(400 * 512);
  disk[510] = 0x55; disk[511] = 0xaa;
  mbrEntry(disk, 0, 0x00, 0x83, 2, 50);
  mbrEntry(disk, 1, 0x80, 0x0c, 60, 40);
  mbrEntry(disk, 2, 0x00, 0x05, 200, 150);
  // EBR 1 at 200: logical at +2 (10 sectors), next EBR at extended+50
  const e1 = 200 * 512;
  disk[e1 + 510] = 0x55; disk[e1 + 511] = 0xaa;
  mbrEntry(disk, 0, 0, 0x83, 2, 10, e1);
  mbrEntry(disk, 1, 0, 0x05, 50, 20, e1);
  const e2 = 250 * 512;
  disk[e2 + 510] = 0x55; disk[e2 + 511] = 0xaa;
  mbrEntry(disk, 0, 0, 0x82, 1, 5, e2);
  const pt = parsePartitionTable(bufferReader(disk));
  t.equal(pt.kind, 'mbr');
  t.same(pt.partitions.map((p) => [p.number, p.typeGuid, p.firstLba, p.lastLba, p.legacyBiosBootable]), [
    [1, '0x83', 2, 51, false],
    [2, '0x0C', 60, 99, true],
    [5, '0x83', 202, 211, false],
    [6, '0x82', 251, 255, false],
  ]);
  t.same(pt.notes, []);
});

t.test('no table at all', async (t) => {
  const pt = parsePartitionTable(bufferReader(Buffer.alloc(4096)));
  t.equal(pt.kind, 'none');
  t.match(pt.notes.join('\n'), /no 55AA signature/);
  const tiny = parsePartitionTable(bufferReader(Buffer.alloc(100)));
  t.equal(tiny.kind, 'none', 'short buffer does not throw');
});

t.test('fs detection by superblock', async (t) => {
  const sb = (compat: number, incompat: number, ro: number) => {
    const b = Buffer.alloc(2048);
    b.writeUInt16LE(0xef53, 1024 + 56);
    b.writeUInt32LE(0, 1024 + 24);
    b.writeUInt32LE(compat, 1024 + 92);
    b.writeUInt32LE(incompat, 1024 + 96);
    b.writeUInt32LE(ro, 1024 + 100);
    b.write('boot', 1024 + 120, 'latin1');
    return b;
  };
  t.same(detectFs(sb(0x38, 0x2, 0x3)), { fs: 'ext2', blockSize: 1024, label: 'boot' });
  t.equal(detectFs(sb(0x3c, 0x2, 0x3)).fs, 'ext3');
  t.equal(detectFs(sb(0x3c, 0x2c2, 0x46b)).fs, 'ext4');
  const fat = Buffer.alloc(2048); fat[510] = 0x55; fat[511] = 0xaa; fat.write('FAT32', 0x52, 'latin1');
  t.equal(detectFs(fat).fs, 'vfat');
  t.equal(detectFs(Buffer.alloc(2048)).fs, 'unknown');
});
