import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FatVolume, mapFatSyslinuxFiles, parseDirEntries } from '../../harness/image/fat-map.ts';
import { openFileReader } from '../../harness/image/partition-table.ts';
import { findTool } from '../../harness/image/host-tools.ts';
import { readMappedFile } from '../../harness/image/read-mapped-file.ts';

// The FAT reader is checked against mtools' view of the same image: the listing (names, sizes) and every
// file's bytes read through the mapped ranges must equal what mdir / mcopy see.
const MT = { ...process.env, MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null' };
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: MT });
const have = ['mkfs.fat', 'mcopy', 'mmd', 'mdir', 'mdel'].every((x) => findTool(x));
const OFFSET = 2048 * 512;

/** A fragmented file: pseudo-random bytes of `n`. */
const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff));

for (const [fat, kib, extra] of [['12', 4096, []], ['16', 10240, []], ['32', 40960, ['-s', '1']]] as const) {
  t.test(`FAT${fat}: listing and file bytes match mtools`, { skip: !have && 'needs dosfstools + mtools' }, async (t) => {
    const dir = t.testdir();
    const img = join(dir, 'disk.img');
    sh('truncate', ['-s', `${kib / 1024 + 2}M`, img]);
    sh('mkfs.fat', ['--invariant', '-F', fat, ...extra, '-h', '2048', '--offset=2048', img, String(kib)]);
    const vol = `${img}@@${OFFSET}`;
    sh('mmd', ['-i', vol, '::/syslinux', '::/boot', '::/boot/syslinux']);
    const files: Record<string, Buffer> = {
      'ldlinux.sys': bytes(59392, 1),
      'syslinux.cfg': Buffer.from('DEFAULT ipxe\nLABEL ipxe\n  LINUX ipxe.lkrn\n'),
      'A Long File Name With Spaces.txt': bytes(3000, 2),
      'ipxe.lkrn': bytes(150_000, 3),
      'empty.bin': Buffer.alloc(0),
    };
    // Fragment: write a filler, then ipxe.lkrn's first part, delete the filler, then a big file that must jump.
    writeFileSync(join(dir, 'filler'), bytes(20_000, 9));
    sh('mcopy', ['-i', vol, join(dir, 'filler'), '::/syslinux/filler']);
    for (const [name, b] of Object.entries(files)) {
      writeFileSync(join(dir, 'f'), b);
      sh('mcopy', ['-i', vol, join(dir, 'f'), `::/syslinux/${name}`]);
      if (name === 'syslinux.cfg') sh('mdel', ['-i', vol, '::/syslinux/filler']);
    }
    const reader = openFileReader(img);
    t.teardown(() => reader.close());
    const v = new FatVolume(reader, OFFSET);
    t.equal(v.geo.type, `FAT${fat}`, 'type from the cluster count');
    // mtools' listing: `mdir -b` prints full paths, one a line (directories end in "/")
    const mt = sh('mdir', ['-i', vol, '-b', '::/syslinux']).toString().split('\n').filter(Boolean).map((l) => l.replace(/^::\/syslinux\//, ''));
    const ours = v.list('/syslinux')!.map((e) => e.name + (e.isDir ? '/' : ''));
    t.same([...ours].sort(), [...mt].sort(), 'same names as mdir -b');
    const m = mapFatSyslinuxFiles(reader, OFFSET, 1, ['/boot/syslinux', '/syslinux']);
    t.equal(m.dir, '/syslinux', 'the directory holding ldlinux.sys (the empty /boot/syslinux is passed over)');
    t.same(m.notes, []);
    let fragmented = false;
    for (const [name, b] of Object.entries(files)) {
      const r = m.regions.find((x) => x.path === `/syslinux/${name}`);
      t.ok(r, `${name} mapped`);
      if (!r) continue;
      t.equal(r.size, b.length, `${name} size`);
      const viaMap = await readMappedFile(img, r);
      sh('mcopy', ['-n', '-i', vol, `::/syslinux/${name}`, join(dir, 'out')]);
      t.ok(viaMap.equals(readFileSync(join(dir, 'out'))), `${name}: bytes via the map = mcopy's`);
      t.ok(viaMap.equals(b), `${name}: = the original`);
      if (r.ranges.length > 1) fragmented = true;
    }
    // mtools reuses the freed filler clusters on FAT12/16; on FAT32 it allocates after its FSInfo hint.
    if (fat !== '32') t.ok(fragmented, 'at least one file is fragmented (so chains, not just first clusters, are followed)');
    t.same(v.list('/nonexistent'), null);
  });
}

t.test('parseDirEntries: NT lower-case flags, deleted entries, end mark', async (t) => {
  const e = (name11: string, attr: number, nt: number, cl: number, size: number, first?: number) => {
    const b = Buffer.alloc(32);
    b.write(name11, 0, 'latin1');
    if (first !== undefined) b[0] = first;
    b[11] = attr; b[12] = nt; b.writeUInt16LE(cl, 26); b.writeUInt32LE(size, 28);
    return b;
  };
  const buf = Buffer.concat([e('LDLINUX SYS', 0x27, 0x18, 5, 100), e('XDELETEDTXT', 0x20, 0, 9, 1, 0xe5), e('BOOT       ', 0x08, 0, 0, 0), e('CFG     CFG', 0x20, 0x08, 7, 3), Buffer.alloc(32), e('AFTEREND   ', 0x20, 0, 1, 1)]);
  t.same(parseDirEntries(buf).map((x) => [x.name, x.firstCluster, x.size]), [['ldlinux.sys', 5, 100], ['cfg.CFG', 7, 3]]);
});
