import t from 'tap';
import { parseBlockList, parseLsP, parseStats, runsToRanges, splitSections } from '../../harness/image/debugfs-output.ts';

// Captured from `debugfs -f - "IMG?offset=1048576"` on a built image (ext2, 1 KiB blocks).
const FIXTURE = `debugfs: stat "/extlinux/ldlinux.sys"
Inode: 1282   Type: regular    Mode:  0444   Flags: 0x10
Generation: 3369651416    Version: 0x00000000:00000003
User:     0   Group:     0   Project:     0   Size: 59392
File ACL: 0
Links: 1   Blockcount: 118
Fragment:  Address: 0    Number: 0    Size: 0
 ctime: 0x6b076e3a:c3ba0b64 -- Wed Nov 25 23:24:42 2026
Size of extra inode fields: 32
BLOCKS:
(0-11):8721-8732, (IND):8557, (12-15):8733-8736, (16-31):401-416, (32-34):481-483, (35-57):548-570
TOTAL: 59

debugfs: stat "/extlinux/extlinux.conf"
Inode: 1284   Type: regular    Mode:  0644   Flags: 0x0
User:     0   Group:     0   Project:     0   Size: 51
Fragment:  Address: 0    Number: 0    Size: 0
BLOCKS:
(0):8769
TOTAL: 1

debugfs: stat "/extlinux/ipxe.lkrn"
Inode: 1285   Type: regular    Mode:  0644   Flags: 0x0
User:     0   Group:     0   Project:     0   Size: 306521
BLOCKS:
(0-11):9217-9228, (IND):8559, (12-15):9229-9232, (16-31):465-480, (32-63):513-544, (64-127):918-981, (128-255):1025-1152, (256-267):1281-1292, (DIND):8560, (IND):10233, (268-299):1293-1324
TOTAL: 303

debugfs: stat "/missing"
debugfs: stat "/ext4/file"
Inode: 12   Type: regular    Mode:  0644   Flags: 0x80000
User:     0   Group:     0   Project:     0   Size: 300000
EXTENTS:
(ETB0):5000, (0-292):9378-9670
debugfs: ls -p "/extlinux"
/1281/040755/0/0/.//
/2/040755/0/0/..//
/1282/100444/0/0/ldlinux.sys/59392/
/1290/040755/0/0/sub//
/1285/100644/0/0/ipxe.lkrn/306521/
`;

t.test('stat sections: sizes, found, data runs without metadata blocks', async (t) => {
  const stats = parseStats(FIXTURE);
  t.same(stats.map((s) => [s.path, s.found, s.size]), [
    ['/extlinux/ldlinux.sys', true, 59392],
    ['/extlinux/extlinux.conf', true, 51],
    ['/extlinux/ipxe.lkrn', true, 306521],
    ['/missing', false, undefined],
    ['/ext4/file', true, 300000],
  ]);
  const ld = stats[0]!;
  t.equal(ld.runs.reduce((n, r) => n + r.count, 0), 58, '58 data blocks; the (IND) block is excluded');
  t.notOk(ld.runs.some((r) => r.physical === 8557), 'no indirect block');
  const ipxe = stats[2]!;
  t.equal(ipxe.runs.reduce((n, r) => n + r.count, 0), 300);
  t.notOk(ipxe.runs.some((r) => [8559, 8560, 10233].includes(r.physical)), 'no IND/DIND blocks');
  t.same(stats[4]!.runs, [{ logical: 0, physical: 9378, count: 293 }], 'extent tree block excluded');
});

t.test('block runs → absolute byte ranges, clipped to the size, merged when contiguous', async (t) => {
  const conf = runsToRanges([{ logical: 0, physical: 8769, count: 1 }], 51, 1024, 1048576);
  t.same(conf, [{ start: 1048576 + 8769 * 1024, end: 1048576 + 8769 * 1024 + 51 }]);
  const ld = parseStats(FIXTURE)[0]!;
  const r = runsToRanges(ld.runs, 59392, 1024, 1048576);
  t.same(r[0], { start: 1048576 + 8721 * 1024, end: 1048576 + 8737 * 1024 }, '0-11 and 12-15 merged (contiguous)');
  t.equal(r.reduce((n, x) => n + x.end - x.start, 0), 59392);
  // A hole keeps two runs apart even when they are adjacent on disk.
  const holes = runsToRanges([{ logical: 0, physical: 10, count: 1 }, { logical: 5, physical: 11, count: 1 }], 6 * 1024, 1024, 0);
  t.equal(holes.length, 2);
});

t.test('block list items', async (t) => {
  t.same(parseBlockList('(0):5, (1-2)[u]:7-8, (TIND):99'), [{ logical: 0, physical: 5, count: 1 }, { logical: 1, physical: 7, count: 2 }]);
});

t.test('ls -p', async (t) => {
  const sec = splitSections(FIXTURE).find((s) => s.command.startsWith('ls'))!;
  const ents = parseLsP(sec.body);
  t.same(ents.map((e) => [e.name, e.isFile, e.isDir, e.size]), [
    ['ldlinux.sys', true, false, 59392],
    ['sub', false, true, null],
    ['ipxe.lkrn', true, false, 306521],
  ]);
});
