import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BootchainError } from '../../harness/errors.ts';
import { emptyAdv, LOOP_GEOMETRY, patchExtlinux } from '../../harness/image/extlinux-patch.ts';
import { makeExtFs, mapExtFiles } from '../../harness/image/populate-ext.ts';
import { extlinuxTemplates, extractExtlinuxTemplates, LDLINUX_MAGIC } from '../../harness/image/syslinux-templates.ts';
import { buildEpoch, DEFAULT_EPOCH } from '../../harness/image/build-epoch.ts';

const geometry = { totalSectors: 20480, hiddenSectors: 2048, ...LOOP_GEOMETRY };

t.test('templates out of Debian\'s extlinux binary', async (t) => {
  const tpl = extlinuxTemplates();
  t.equal(tpl.bootSector.length, 512);
  t.equal(tpl.bootSector.toString('latin1', 3, 11), 'SYSLINUX', 'boot sector OEM name');
  t.same([tpl.bootSector[510], tpl.bootSector[511]], [0x55, 0xaa]);
  t.equal(tpl.ldlinuxSys.length % 512, 0, 'ldlinux.sys is whole sectors');
  t.equal(tpl.ldlinuxSys.length, 58368, 'the 58,368-byte core of SYSLINUX 6.04 (facts file)');
  t.ok(tpl.ldlinuxSys.indexOf(Buffer.from([0xfe, 0x02, 0xb2, 0x3e])) >= 0, 'patch area magic inside');
  t.equal(tpl.ldlinuxC32.length, 119532, 'extlinux\'s own ldlinux.c32 (119,532 B), not syslinux-common\'s');
  t.equal(tpl.ldlinuxC32.toString('latin1', 1, 4), 'ELF');
  t.match(tpl.sha256, /^[0-9a-f]{64}$/);
});

t.test('a binary without the templates is refused with a hint', async (t) => {
  const tpl = extlinuxTemplates();
  const bin = readFileSync(tpl.source);
  const broken = Buffer.from(bin);
  // Wipe the boot sector template's OEM name: the locator must notice, not guess.
  const at = broken.indexOf(tpl.bootSector);
  t.ok(at > 0, 'the boot sector template is in the binary');
  broken.fill(0, at + 3, at + 11);
  try {
    extractExtlinuxTemplates(broken, '/fake/extlinux');
    t.fail('expected EXTLINUX_TEMPLATES');
  } catch (e) {
    t.ok(e instanceof BootchainError && e.code === 'EXTLINUX_TEMPLATES', 'EXTLINUX_TEMPLATES');
    t.match((e as Error).message, /boot sector template .* inside \/fake\/extlinux/);
    t.match((e as BootchainError).hint, /--builder loop/);
  }
  t.throws(() => extractExtlinuxTemplates(Buffer.from('#!/bin/sh\n'), '/fake/sh'), /not a 64-bit little-endian ELF/);
  // Positive control: the intact binary passes.
  t.equal(extractExtlinuxTemplates(bin, tpl.source).ldlinuxSys.length, tpl.ldlinuxSys.length);
});

t.test('the patch: checksum, extents, ADV, directory, geometry', async (t) => {
  const tpl = extlinuxTemplates();
  const n = tpl.ldlinuxSys.length / 512 + 2;
  const contiguous = Array.from({ length: n }, (_, i) => 1000 + i);
  const p = patchExtlinux({ templates: tpl, sectors: contiguous, subdir: '/extlinux', geometry });
  t.equal(p.ldlinuxSys.length, tpl.ldlinuxSys.length + 1024, 'code + two ADV sectors');
  t.ok(p.ldlinuxSys.subarray(tpl.ldlinuxSys.length).equals(emptyAdv()), 'an empty ADV follows');
  t.equal(emptyAdv().readUInt32LE(0), 0x5a2d2fa5);
  t.equal(emptyAdv().readUInt32LE(508), 0xdd28bf64);
  let sum = 0;
  for (let i = 0; i < tpl.ldlinuxSys.length; i += 4) sum = (sum + p.ldlinuxSys.readUInt32LE(i)) >>> 0;
  t.equal(sum, LDLINUX_MAGIC, 'the dwords of the patched core sum to LDLINUX_MAGIC (SYSLINUX\'s load check)');
  const pa = p.ldlinuxSys.indexOf(Buffer.from([0xfe, 0x02, 0xb2, 0x3e]));
  t.equal(p.ldlinuxSys.readUInt16LE(pa + 8), n - 2, 'data_sectors');
  t.equal(p.ldlinuxSys.readUInt16LE(pa + 10), 2, 'adv_sectors');
  t.equal(p.ldlinuxSys.readUInt32LE(pa + 12), tpl.ldlinuxSys.length / 4, 'dwords');
  t.ok(p.ldlinuxSys.includes(Buffer.from('/extlinux\0')), 'install directory patched in');
  t.equal(p.bootSector.readUInt32LE(28), 2048, 'hidden sectors = partition start');
  t.equal(p.bootSector.readUInt16LE(24), 32);
  t.equal(p.bootSector.readUInt16LE(26), 64);
  t.equal(p.bootSector.readUInt16LE(19), 20480, 'bsSectors');
  t.ok(p.bootSector.includes(Buffer.from([0xe8, 0x03, 0, 0])) && !tpl.bootSector.includes(Buffer.from([0xe8, 0x03, 0, 0])), 'sector 1 pointer (LBA 1000) patched into the boot sector');
  // Extents (syslxmod.c generate_extents): contiguous sectors merge into one extent of under 64 KiB.
  const epa = p.ldlinuxSys.readUInt16LE(pa + 22);
  const secptr = p.ldlinuxSys.readUInt16LE(epa + 10);
  const ext = (i: number) => ({ lba: Number(p.ldlinuxSys.readBigUInt64LE(secptr + i * 10)), len: p.ldlinuxSys.readUInt16LE(secptr + i * 10 + 8) });
  t.same(ext(0), { lba: 1001, len: n - 3 }, 'one extent: code sectors 1.. (sector 0 is the boot sector\'s pointer, the ADV has its own)');
  t.same(ext(1), { lba: 0, len: 0 }, 'then empty');
  const adv = p.ldlinuxSys.readUInt16LE(epa);
  t.same([Number(p.ldlinuxSys.readBigUInt64LE(adv)), Number(p.ldlinuxSys.readBigUInt64LE(adv + 8))], [1000 + n - 2, 1000 + n - 1], 'ADV pointers = the last two sectors');
  // A gap splits an extent.
  const gap = [...contiguous.slice(0, 10), ...contiguous.slice(10).map((s) => s + 500)];
  const g = patchExtlinux({ templates: tpl, sectors: gap, subdir: '/extlinux', geometry });
  t.same({ lba: Number(g.ldlinuxSys.readBigUInt64LE(secptr)), len: g.ldlinuxSys.readUInt16LE(secptr + 8) }, { lba: 1001, len: 9 }, 'a gap ends the first extent');
  t.throws(() => patchExtlinux({ templates: tpl, sectors: contiguous.slice(0, 10), subdir: '/extlinux', geometry }), /mapped to 10 sectors, it needs/);
  t.throws(() => patchExtlinux({ templates: tpl, sectors: contiguous, subdir: '/' + 'x'.repeat(300), geometry }), /longer than the/);
});

t.test('makeExtFs: no holes for zero blocks, owners 0, every time = the epoch, no mount', async (t) => {
  const dir = t.testdir();
  const img = join(dir, 'fs.img');
  writeFileSync(img, Buffer.alloc(0));
  execFileSync('truncate', ['-s', '6M', img]);
  const zeros = Buffer.concat([Buffer.alloc(1024, 7), Buffer.alloc(4096), Buffer.alloc(100, 9), Buffer.alloc(1024)]);
  await makeExtFs({ image: img, fs: 'ext2', label: 'boot', uuid: '11111111-2222-4333-8444-555555555555', firstLba: 2048, sectors: 8192, epoch: 1234567890, what: 'the test partition', files: [{ path: '/d/zeros.bin', bytes: zeros, mode: 0o640, origin: 'test' }, { path: '/d/e/f.txt', bytes: Buffer.from('f\n'), mode: 0o444, origin: 'test', flags: 0x10 }] });
  const ranges = (await mapExtFiles(img, 2048, ['/d/zeros.bin'])).get('/d/zeros.bin')!;
  t.equal(ranges.reduce((n, r) => n + r.end - r.start, 0), zeros.length, 'every block of the file is allocated (no holes)');
  const b = readFileSync(img);
  t.ok(Buffer.concat(ranges.map((r) => b.subarray(r.start, r.end))).equals(zeros), 'and holds the real bytes (zeros, not the staging marker)');
  const stat = (p: string) => execFileSync('debugfs', ['-R', `stat ${p}`, `${img}?offset=${2048 * 512}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  for (const p of ['/', '/d', '/d/e', '/d/zeros.bin', '/d/e/f.txt', '/lost+found']) {
    const s = stat(p);
    t.match(s, /User: {5}0 {3}Group: {5}0/, `${p}: owner 0:0`);
    for (const f of ['ctime', 'atime', 'mtime']) t.match(s, new RegExp(`${f}: 0x499602d2:00000000`), `${p}: ${f} = the epoch`);
  }
  t.match(stat('/d/zeros.bin'), /Mode: {2}0640/);
  t.match(stat('/d/e/f.txt'), /Mode: {2}0444 {3}Flags: 0x10\b/, 'mode and flags as given');
  t.match(execFileSync('dumpe2fs', ['-h', `${img}?offset=${2048 * 512}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), /Filesystem created: +Fri Feb 13 23:31:30 2009/, 'superblock times from the epoch');
});

t.test('SOURCE_DATE_EPOCH', async (t) => {
  t.equal(buildEpoch({}), DEFAULT_EPOCH);
  t.equal(buildEpoch({ SOURCE_DATE_EPOCH: '1700000000' }), 1700000000);
  t.throws(() => buildEpoch({ SOURCE_DATE_EPOCH: '-5' }), /whole number of seconds/);
  t.throws(() => buildEpoch({ SOURCE_DATE_EPOCH: '99999999999' }), /whole number of seconds/);
});
