import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BootchainError } from '../../harness/errors.ts';
import { inspectImage } from '../../harness/image/inspect-image.ts';
import { findFileRegion, readMappedFile } from '../../harness/image/read-mapped-file.ts';

const sh = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) });
const isRoot = process.getuid?.() === 0;

/** Mounts a partition of `img` at a fresh dir, runs `fn`, always unmounts. */
function withMount(img: string, offset: number, size: number, fn: (dir: string) => void) {
  const dir = join(img, '..', `mnt-${offset}`);
  mkdirSync(dir, { recursive: true });
  sh('mount', ['-o', `loop,offset=${offset},sizelimit=${size},noatime`, img, dir]);
  // sync: the loop device's last writes reach the backing file before debugfs reads it (seen flaky under load)
  try { fn(dir); } finally { sh('umount', [dir]); sh('sync', []); }
}

t.test('image built by hand with the seed\'s own commands (sgdisk, mkfs, extlinux)', { skip: !isRoot && 'needs root (loop mount)' }, async (t) => {
  const dir = t.testdir();
  const img = join(dir, 'disk.img');
  sh('truncate', ['-s', '512M', img]);
  sh('sgdisk', ['--clear', '--new', '1::+10M', '--typecode=1:8300', '--change-name=1:extlinux', '--attributes=1:set:2', '--new', '2::-0', '--typecode=2:8300', '--change-name=2:config', img]);
  const fd = openSync(img, 'r+');
  writeSync(fd, readFileSync('/usr/lib/syslinux/mbr/gptmbr.bin').subarray(0, 440), 0, 440, 0);
  closeSync(fd);
  sh('mkfs.ext2', ['-q', '-F', '-E', 'offset=1048576', img, '10240k']);
  sh('mkfs.ext4', ['-q', '-F', '-E', `offset=${22528 * 512}`, img, `${Math.floor((1048542 - 22528 + 1) / 2)}k`]);
  const conf = 'DEFAULT ipxe\n  SAY booting iPXE from SYSLINUX\nLABEL ipxe\n  LINUX ipxe.lkrn\n  INITRD ipxe.conf\n';
  const script = '#!ipxe\ndhcp\nchain http://ipxe1.example.org/myconfig.ipxe?serial=${serial}\n';
  withMount(img, 1048576, 10485760, (m) => {
    mkdirSync(join(m, 'extlinux'));
    sh('extlinux', ['--install', join(m, 'extlinux')]);
    writeFileSync(join(m, 'extlinux', 'extlinux.conf'), conf);
    writeFileSync(join(m, 'extlinux', 'ipxe.conf'), script);
    copyFileSync('/usr/lib/ipxe/ipxe.lkrn', join(m, 'extlinux', 'ipxe.lkrn'));
  });
  const map = await inspectImage(img);
  t.equal(map.partitionTable, 'gpt');
  t.same(map.partitions.map((p) => [p.name, p.firstLba, p.lastLba, p.legacyBiosBootable, p.fs]), [
    ['extlinux', 2048, 22527, true, 'ext2'],
    ['config', 22528, 1048542, false, 'ext4'],
  ]);
  t.equal(map.bootPartition, 1);
  t.equal(map.syslinuxDir, '/extlinux');
  t.same(map.regions.filter((r) => r.kind === 'file').map((r) => r.path).sort(), ['/extlinux/extlinux.conf', '/extlinux/ipxe.conf', '/extlinux/ipxe.lkrn', '/extlinux/ldlinux.c32', '/extlinux/ldlinux.sys']);
  t.equal((await readMappedFile(img, findFileRegion(map, 'extlinux.conf')!)).toString(), conf);
  t.equal((await readMappedFile(img, findFileRegion(map, '/extlinux/ipxe.conf')!)).toString(), script);
  t.ok((await readMappedFile(img, findFileRegion(map, 'ipxe.lkrn')!)).equals(readFileSync('/usr/lib/ipxe/ipxe.lkrn')));
  const ld = findFileRegion(map, 'ldlinux.sys')!;
  t.ok(ld.ranges.every((r) => r.start >= 1048576 && r.end <= 1048576 + 10485760), 'file ranges inside partition 1');
  t.same(map.notes, []);
});

t.test('plain MBR disk, active partition, SYSLINUX in /boot/syslinux', { skip: !isRoot && 'needs root (loop mount)' }, async (t) => {
  const img = join(t.testdir(), 'mbr.img');
  sh('truncate', ['-s', '32M', img]);
  sh('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', img], 'label: dos\nstart=2048, size=8192, type=0c\nstart=10240, size=20480, type=83, bootable\n');
  sh('mkfs.ext2', ['-q', '-F', '-E', `offset=${10240 * 512}`, img, '10240k']);
  withMount(img, 10240 * 512, 20480 * 512, (m) => {
    mkdirSync(join(m, 'boot', 'syslinux'), { recursive: true });
    sh('extlinux', ['--install', join(m, 'boot', 'syslinux')]);
    writeFileSync(join(m, 'boot', 'syslinux', 'syslinux.cfg'), 'DEFAULT x\n');
  });
  const map = await inspectImage(img);
  t.equal(map.partitionTable, 'mbr');
  t.same(map.partitions.map((p) => [p.number, p.typeGuid, p.legacyBiosBootable, p.fs]), [[1, '0x0C', false, 'unknown'], [2, '0x83', true, 'ext2']]);
  t.equal(map.bootPartition, 2);
  t.equal(map.syslinuxDir, '/boot/syslinux');
  t.same(map.regions.find((r) => r.kind === 'vbr')?.ranges, [{ start: 10240 * 512, end: 10240 * 512 + 512 }]);
  t.equal((await readMappedFile(img, findFileRegion(map, 'syslinux.cfg')!)).toString(), 'DEFAULT x\n');
  t.notOk(map.regions.some((r) => r.kind === 'gpt-header'));
});

t.test('unusual images give a map with notes, never a throw', async (t) => {
  const dir = t.testdir();
  const zeros = join(dir, 'zeros.img');
  sh('truncate', ['-s', '4M', zeros]);
  const m1 = await inspectImage(zeros);
  t.equal(m1.partitionTable, 'none');
  t.equal(m1.bootPartition, null);
  t.match(m1.notes.join('\n'), /no 55AA signature/);

  const nobios = join(dir, 'nobios.img');
  sh('truncate', ['-s', '16M', nobios]);
  sh('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', nobios], 'label: gpt\nstart=2048, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="x"\n');
  const m2 = await inspectImage(nobios);
  t.equal(m2.partitionTable, 'gpt');
  t.equal(m2.bootPartition, null);
  t.match(m2.notes.join('\n'), /LegacyBIOSBootable/);

  const noext = join(dir, 'noext.img');
  sh('truncate', ['-s', '16M', noext]);
  sh('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', noext], 'label: gpt\nstart=2048, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="x", attrs="LegacyBIOSBootable"\n');
  const m3 = await inspectImage(noext);
  t.equal(m3.bootPartition, 1);
  t.match(m3.notes.join('\n'), /boot partition 1 is unknown, not ext2\/3\/4/);

  sh('mkfs.ext2', ['-q', '-F', '-E', 'offset=1048576', noext, '4096k']);
  const m4 = await inspectImage(noext);
  t.equal(m4.partitions[0]?.fs, 'ext2');
  t.equal(m4.syslinuxDir, null);
  t.match(m4.notes.join('\n'), /no ldlinux\.sys in \/extlinux, \/boot\/extlinux/);

  const truncated = join(dir, 'cut.img');
  writeFileSync(truncated, readFileSync(nobios).subarray(0, 2048 * 512 + 512));
  const m5 = await inspectImage(truncated);
  t.match(m5.notes.join('\n'), /extends beyond the image/);
});

t.test('a missing file throws IMAGE_NOT_FOUND', async (t) => {
  const e = await inspectImage('/nonexistent/x.img').then(() => null, (err: unknown) => err);
  t.ok(e instanceof BootchainError, 'BootchainError');
  t.equal((e as BootchainError).code, 'IMAGE_NOT_FOUND');
  t.match((e as BootchainError).message, /\/nonexistent\/x\.img/);
});

t.test('a map is remembered by the image file\'s identity: the same file is not mapped again, a written one is', async (t) => {
  const dir = t.testdir({ root: { extlinux: { 'ldlinux.sys': 'x'.repeat(4096), 'extlinux.conf': 'DEFAULT x\nLABEL x\n  KERNEL ipxe.lkrn\n' } }, cache: {}, nobin: {} });
  const img = join(dir, 'disk.img');
  sh('truncate', ['-s', '16M', img]);
  sh('sgdisk', ['--clear', '--new', '1::+10M', '--attributes=1:set:2', img]);
  sh('mkfs.ext2', ['-q', '-F', '-d', join(dir, 'root'), '-E', 'offset=1048576', img, '10240k']);
  const env = { cache: process.env['BOOTCHAIN_CACHE'], path: process.env['PATH'] };
  process.env['BOOTCHAIN_CACHE'] = join(dir, 'cache');
  t.teardown(() => {
    if (env.cache === undefined) delete process.env['BOOTCHAIN_CACHE'];
    else process.env['BOOTCHAIN_CACHE'] = env.cache;
    process.env['PATH'] = env.path;
  });
  const first = await inspectImage(img);
  t.ok(first.regions.some((r) => r.path === '/extlinux/ldlinux.sys'), 'the control: debugfs mapped ldlinux.sys');
  const files = () => readdirSync(join(dir, 'cache', 'maps')).filter((f) => f.endsWith('.json'));
  t.equal(files().length, 1, 'one map in the cache');
  first.regions.length = 0; // a caller's change to its copy must not reach the next answer
  process.env['PATH'] = join(dir, 'nobin'); // no debugfs: only a remembered map can answer
  const again = await inspectImage(img);
  t.ok(again.regions.some((r) => r.path === '/extlinux/ldlinux.sys'), 'answered from memory, intact, without debugfs');
  process.env['PATH'] = env.path;
  const fd = openSync(img, 'r+');
  writeSync(fd, Buffer.from([0x90]), 0, 1, 0);
  closeSync(fd);
  await inspectImage(img);
  t.equal(files().length, 2, 'a written image is mapped again (new identity, new entry)');
});
