// Chains other than the seed's, built by hand with Debian's own tools as a user would (not with bootchain's
// builder): bootchain must detect each chain and judge it by its own ladder — passed stages with evidence,
// the stages the chain lacks skipped, nothing merely implied.
import { copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { consoleTail, isRoot, makeTemp, rmTemp, runCli } from './fixtures/cli-run.ts';

const work = makeTemp('hand-chains');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');
const CONF = 'DEFAULT ipxe\n  SAY booting iPXE from SYSLINUX\nLABEL ipxe\n  LINUX ipxe.lkrn\n';
const sh = (cmd: string, args: string[], input?: string) => execa(cmd, args, { ...(input ? { input } : {}) });

/** An MBR disk of 64 MiB: p1 (active, `type`) from sector 2048 for 16 MiB, SYSLINUX's mbr.bin as boot code. */
async function mbrDisk(img: string, type: string): Promise<void> {
  await sh('truncate', ['-s', '64M', img]);
  await sh('sfdisk', ['--no-reread', '--no-tell-kernel', img], `label: dos\nstart=2048, size=32768, type=${type}, bootable\nstart=34816, type=83\n`);
  const fd = openSync(img, 'r+');
  writeSync(fd, readFileSync('/usr/lib/syslinux/mbr/mbr.bin').subarray(0, 440), 0, 440, 0);
  closeSync(fd);
}

interface Report {
  verdict: string;
  stages: Array<{ id: string; status: string; evidence: string[] }>;
  chain?: { ladder: string; mbrCode: { kind: string }; scheme: string; loader: { kind: string }; config?: string; kernel?: string };
  lint: Array<{ severity: string; code: string }>;
  artifacts: string;
}

async function bootAndJudge(t: Test, img: string, loader: string): Promise<void> {
  const r = await runCli(['boot', img, '--json'], { artifacts });
  const report = JSON.parse(r.stdout) as Report;
  const why = `exit ${r.exitCode}\n${report.stages.map((s) => `${s.id.padEnd(12)} ${s.status.padEnd(10)} ${s.evidence.join(' | ')}`).join('\n')}\nconsole tail:\n${consoleTail(report.artifacts)}`;
  t.equal(r.exitCode, 0, `boots through the chain — ${why}`);
  t.match(report.chain, { ladder: 'syslinux', mbrCode: { kind: 'mbr' }, scheme: 'mbr', loader: { kind: loader }, kernel: 'ipxe.lkrn' }, 'chain detected from the image');
  t.same(report.stages.filter((s) => s.status === 'skipped').map((s) => s.id), ['gpt'], `only gpt skipped (MBR disk) — ${why}`);
  t.same(report.stages.filter((s) => s.status === 'implied').map((s) => s.id), [], `no stage merely implied — ${why}`);
  for (const id of ['mbr', 'vbr', 'ldlinux-sys', 'ldlinux-c32']) t.match(report.stages.find((s) => s.id === id)?.evidence.join(' | '), /disk read/, `${id} passed on a disk read`);
  t.same(report.lint.filter((f) => f.severity === 'error').map((f) => f.code), [], 'lint: no error on an image that boots');
}

t.test('MBR + mbr.bin + EXTLINUX on ext2, by hand (sfdisk, mkfs.ext2, mount, extlinux --install)', { skip: !isRoot && 'needs root (loop mount for extlinux --install)' }, async (t) => {
  const img = join(work, 'mbr-ext.img');
  await mbrDisk(img, '83');
  await sh('mkfs.ext2', ['-q', '-F', '-E', `offset=${2048 * 512}`, img, '16384k']);
  const mnt = join(work, 'mnt-ext');
  mkdirSync(mnt);
  await sh('mount', ['-o', `loop,offset=${2048 * 512},sizelimit=${32768 * 512}`, img, mnt]);
  try {
    mkdirSync(join(mnt, 'extlinux'));
    await sh('extlinux', ['--install', join(mnt, 'extlinux')]);
    writeFileSync(join(mnt, 'extlinux', 'extlinux.conf'), CONF);
    copyFileSync('/usr/lib/ipxe/ipxe.lkrn', join(mnt, 'extlinux', 'ipxe.lkrn'));
  } finally {
    await sh('umount', [mnt]);
  }
  await bootAndJudge(t, img, 'extlinux');
});

t.test('MBR + mbr.bin + SYSLINUX on FAT, by hand (mkfs.vfat --offset, mmd, syslinux --install, mcopy), no root', async (t) => {
  const img = join(work, 'mbr-fat.img');
  await mbrDisk(img, 'e');
  const off = 2048 * 512;
  await sh('mkfs.vfat', ['--offset', '2048', '-h', '2048', '-F', '16', img, String(32768 / 2)]);
  await sh('mmd', ['-i', `${img}@@${off}`, '::/syslinux']);
  await sh('syslinux', ['--offset', String(off), '--directory', '/syslinux', '--install', img]);
  const cfg = join(work, 'syslinux.cfg');
  writeFileSync(cfg, CONF);
  await sh('mcopy', ['-i', `${img}@@${off}`, cfg, '::/syslinux/syslinux.cfg']);
  await sh('mcopy', ['-i', `${img}@@${off}`, '/usr/lib/ipxe/ipxe.lkrn', '::/syslinux/ipxe.lkrn']);
  await bootAndJudge(t, img, 'syslinux-fat');
});
