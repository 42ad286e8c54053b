import { execFileSync } from 'node:child_process';
import { openSync, readdirSync, readFileSync, readSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildImage } from '../../harness/image/build-image.ts';
import type { DiskMap } from '../../harness/image/types.ts';

const LINUX = '0FC63DAF-8483-4772-8E79-3D69D8477DE4';

/** Reads a file's bytes straight from the image through the map's ranges (independent of readMappedFile). */
function readRanges(image: string, ranges: Array<{ start: number; end: number }>): Buffer {
  const fd = openSync(image, 'r');
  try {
    return Buffer.concat(ranges.map((r) => { const b = Buffer.alloc(r.end - r.start); readSync(fd, b, 0, b.length, r.start); return b; }));
  } finally { closeSync(fd); }
}

// This process's builds mount under a private TMPDIR, so builds of other test files running at the same time are not counted.
const TMP = mkdtempSync(join(tmpdir(), 'build-test-'));
process.env['TMPDIR'] = TMP;
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));
const ourLoops = (dir: string) => execFileSync('losetup', ['-a'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir));
const ourMounts = (dir: string) => readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(dir) || l.includes(TMP));
const mntDirs = () => readdirSync(TMP).filter((d) => d.startsWith('bootchain-mnt-'));

function assertSeedLayout(t: Test, map: DiskMap, bootName = 'boot', confName = 'conf') {
  t.equal(map.partitionTable, 'gpt');
  t.equal(map.sizeBytes, 512 * 1024 * 1024);
  t.same(map.partitions.map((p) => [p.number, p.name, p.firstLba, p.lastLba, p.typeGuid, p.attributes, p.fs]), [
    [1, bootName, 2048, 22527, LINUX, '4', 'ext2'],
    [2, confName, 22528, 1048542, LINUX, '0', 'ext4'],
  ]);
  t.equal(map.bootPartition, 1);
  t.equal(map.syslinuxDir, '/extlinux');
  t.same(map.regions.slice(0, 4).map((r) => [r.name, r.ranges]), [
    ['mbr', [{ start: 0, end: 512 }]],
    ['gpt-header', [{ start: 512, end: 1024 }]],
    ['gpt-entries', [{ start: 1024, end: 1024 + 16384 }]],
    ['vbr', [{ start: 1048576, end: 1048576 + 512 }]],
  ]);
  t.same(map.notes, ['chain: gpt-extlinux'], 'the chain is recorded; nothing is missing');
}

t.test('default image: build, self-check, map, cache, gzip', async (t) => {
  const dist = t.testdir();
  const mntBefore = new Set(mntDirs());
  const logs: string[] = [];
  const r1 = await buildImage({ name: 'hypersolid-cloud', distDir: dist, gzip: false }, (l) => logs.push(l));
  t.comment(`cold build without gzip: ${r1.ms.toFixed(0)} ms`);
  t.equal(r1.cached, false);
  t.match(logs.join('\n'), /notice: .*ipxe\.lkrn not supplied; using Debian's \/usr\/lib\/ipxe\/ipxe\.lkrn/);
  t.ok(r1.checks.length >= 15 && r1.checks.every((c) => c.ok), 'all self-checks ok');
  t.equal(r1.imagePath, join(dist, 'hypersolid-cloud.img'));
  t.same(JSON.parse(readFileSync(r1.mapPath, 'utf8')), r1.map, 'map.json = returned map');
  assertSeedLayout(t, r1.map);
  t.equal(r1.map.image, r1.imagePath);
  const img = readFileSync(r1.imagePath);
  t.ok(img.subarray(0, 440).equals(readFileSync('/usr/lib/syslinux/mbr/gptmbr.bin')), 'gptmbr.bin in the MBR');
  t.same([img[510], img[511], img[1048576 + 510], img[1048576 + 511]], [0x55, 0xaa, 0x55, 0xaa]);

  const conf = r1.map.regions.find((r) => r.path === '/extlinux/extlinux.conf')!;
  const want = readFileSync('images/hypersolid-cloud/extlinux/extlinux.conf');
  t.equal(conf.size, want.length);
  t.ok(readRanges(r1.imagePath, conf.ranges).equals(want), 'map ranges of extlinux.conf hold exactly its bytes');
  const lkrn = r1.map.regions.find((r) => r.path === '/extlinux/ipxe.lkrn')!;
  t.ok(readRanges(r1.imagePath, lkrn.ranges).equals(readFileSync('/usr/lib/ipxe/ipxe.lkrn')), 'ipxe.lkrn ranges hold Debian\'s ipxe.lkrn');
  const ld = r1.map.regions.find((r) => r.path === '/extlinux/ldlinux.sys')!;
  t.equal(ld.size, 59392);
  t.equal(readRanges(r1.imagePath, ld.ranges).readUInt32LE(58368), 0x5a2d2fa5, 'ldlinux.sys ranges end in the ADV (magic 0x5a2d2fa5 after the 58,368-byte core)');
  t.ok(r1.map.regions.some((r) => r.path === '/extlinux/ldlinux.c32'));

  const r2 = await buildImage({ name: 'hypersolid-cloud', distDir: dist, gzip: false });
  t.comment(`cache hit: ${r2.ms.toFixed(1)} ms`);
  t.equal(r2.cached, true);
  t.same(r2.map, r1.map);

  const r3 = await buildImage({ name: 'hypersolid-cloud', distDir: dist, gzip: false, noCache: true });
  t.equal(r3.cached, false, 'noCache rebuilds');

  const r4 = await buildImage({ name: 'hypersolid-cloud', distDir: dist });
  t.comment(`gzip of the cached image: ${r4.ms.toFixed(0)} ms`);
  t.equal(r4.gzPath, join(dist, 'boot.img.gz'));
  execFileSync('gzip', ['-t', r4.gzPath!]);
  t.same(readdirSync(dist).sort(), ['boot.img.gz', 'boot.img.gz.sha256', 'hypersolid-cloud.cache-key', 'hypersolid-cloud.img', 'hypersolid-cloud.img.sha256', 'hypersolid-cloud.map.json'], 'no temp files left');
  execFileSync('sha256sum', ['-c', '--quiet', 'hypersolid-cloud.img.sha256', 'boot.img.gz.sha256'], { cwd: dist });
  t.equal(readFileSync(join(dist, 'hypersolid-cloud.img.sha256'), 'utf8'), `${r4.sha256}  hypersolid-cloud.img\n`, 'sha256sum format, the hash the build returned');
  t.same(ourLoops(dist), [], 'no loop device of ours');
  t.same(ourMounts(dist), [], 'no mount of ours');
  t.same(mntDirs().filter((d) => !mntBefore.has(d)), [], 'no mount point dir left');
});

t.test('external-script image and an overlay build', async (t) => {
  const dist = t.testdir();
  const r = await buildImage({ name: 'hypersolid-cloud-external', distDir: dist });
  t.equal(r.gzPath, undefined, 'no gzip for a non-default image');
  assertSeedLayout(t, r.map);
  const seedScript = readFileSync('images/hypersolid-cloud-external/ipxe/ipxe.conf');
  t.match(seedScript.toString(), /^#!ipxe\n[\s\S]*dhcp\nchain http:\/\/ipxe1\.example\.org\/myconfig\.ipxe\?serial=\$\{serial\}\n$/);
  const ipxeConf = r.map.regions.find((x) => x.path === '/extlinux/ipxe.conf')!;
  t.ok(readRanges(r.imagePath, ipxeConf.ranges).equals(seedScript));
  const conf = r.map.regions.find((x) => x.path === '/extlinux/extlinux.conf')!;
  t.match(readRanges(r.imagePath, conf.ranges).toString(), /LINUX ipxe\.lkrn\n {2}INITRD ipxe\.conf\n$/);

  const script = '#!ipxe\necho overlay\n';
  const o = await buildImage({ name: 'hypersolid-cloud-external', distDir: dist, outName: 'ov', overlay: { 'ipxe/ipxe.conf': script, 'extlinux/menu/extra.txt': 'nested\n' } });
  t.equal(o.imagePath, join(dist, 'ov.img'));
  const oc = o.map.regions.find((x) => x.path === '/extlinux/ipxe.conf')!;
  t.equal(readRanges(o.imagePath, oc.ranges).toString(), script);
  t.ok(o.checks.some((c) => c.name === 'menu/extra.txt' && c.ok), 'nested overlay file checked');
  const o2 = await buildImage({ name: 'hypersolid-cloud-external', distDir: dist, outName: 'ov', overlay: { 'ipxe/ipxe.conf': '#!ipxe\necho changed\n', 'extlinux/menu/extra.txt': 'nested\n' } });
  t.equal(o2.cached, false, 'changed overlay content changes the cache key');
  t.same(ourLoops(dist), []);
});
