import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { runBuild } from '../../harness/cli/build-command.ts';
import { BootchainError } from '../../harness/errors.ts';
import { buildImage } from '../../harness/image/build-image.ts';
import { resetToolCache } from '../../harness/image/host-tools.ts';

/** Writes an image definition under `root/name`. */
function def(root: string, name: string, files: Record<string, string | Buffer>) {
  for (const [rel, body] of Object.entries(files)) {
    const p = join(root, name, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, body);
  }
}
const CONF = 'DEFAULT ipxe\nLABEL ipxe\n  LINUX ipxe.lkrn\n';
const distEmpty = (dist: string) => !existsSync(dist) || readdirSync(dist).length === 0;

async function expectCode(t: Test, p: Promise<unknown>, code: string, re: RegExp, dist: string) {
  try {
    await p;
    t.fail(`expected ${code}`);
  } catch (e) {
    t.ok(e instanceof BootchainError, 'a BootchainError');
    t.equal((e as BootchainError).code, code);
    t.match((e as BootchainError).message, re);
    t.ok((e as BootchainError).hint, 'has a hint');
  }
  t.ok(distEmpty(dist), 'no output left behind');
}

t.test('missing host tool', async (t) => {
  const dist = join(t.testdir(), 'dist');
  const path = process.env['PATH'];
  process.env['PATH'] = '/nonexistent';
  resetToolCache();
  t.teardown(() => { process.env['PATH'] = path; resetToolCache(); });
  // extlinux lives in /usr/bin, which is not in the sbin fallback dirs
  await expectCode(t, buildImage({ name: 'hypersolid-cloud', distDir: dist }), 'HOST_TOOL_MISSING', /`extlinux` not found/, dist);
});

t.test('bad image definitions', async (t) => {
  const root = t.testdir();
  const images = join(root, 'images');
  const dist = join(root, 'dist');
  def(images, 'ok-one', { 'extlinux/extlinux.conf': CONF });
  def(images, 'no-conf', { 'extlinux/other.txt': 'x' });
  def(images, 'huge', { 'extlinux/extlinux.conf': CONF, 'image.ts': 'export default { layout: { bootMiB: 1, diskMiB: 16 } };\n', 'extlinux/big.bin': Buffer.alloc(2 * 1024 * 1024, 1) });
  def(images, 'nearly', { 'extlinux/extlinux.conf': CONF, 'image.ts': 'export default { layout: { bootMiB: 1, diskMiB: 16 } };\n', 'extlinux/big.bin': Buffer.alloc(700 * 1024, 1) });
  def(images, 'nofit', { 'extlinux/extlinux.conf': CONF, 'image.ts': 'export default { layout: { diskMiB: 8 } };\n' });
  def(images, 'badname', { 'extlinux/extlinux.conf': CONF, 'image.ts': 'export default { layout: { confName: "' + 'c'.repeat(40) + '" } };\n' });
  def(images, 'badlkrn', { 'extlinux/extlinux.conf': CONF, 'ipxe/ipxe.lkrn': Buffer.from('#!ipxe\necho not a kernel\n') });
  def(images, 'reserved', { 'extlinux/extlinux.conf': CONF, 'extlinux/ldlinux.c32': 'x' });

  await expectCode(t, buildImage({ name: 'nope', imagesDir: images, distDir: dist }), 'IMAGE_NOT_FOUND', /images\/nope does not exist/, dist);
  try { await buildImage({ name: 'nope', imagesDir: images, distDir: dist }); } catch (e) {
    t.match((e as BootchainError).hint, /available images in .*: badlkrn, badname, huge, nearly, no-conf, nofit, ok-one, reserved/);
  }
  await expectCode(t, buildImage({ name: 'no-conf', imagesDir: images, distDir: dist }), 'NO_EXTLINUX_CONF', /no-conf\/extlinux\/extlinux\.conf is missing/, dist);
  await expectCode(t, buildImage({ name: 'huge', imagesDir: images, distDir: dist }), 'FILES_TOO_LARGE', /huge: files total \d+ bytes, more than the 1 MiB boot partition \(largest: .*big\.bin/, dist);
  await expectCode(t, buildImage({ name: 'nearly', imagesDir: images, distDir: dist }), 'FILES_TOO_LARGE', /\(\d+ B\) does not fit in the 1 MiB boot partition \(with ldlinux\.sys, ldlinux\.c32 and the other files\)/, dist);
  await expectCode(t, buildImage({ name: 'nofit', imagesDir: images, distDir: dist }), 'BAD_LAYOUT', /nofit\/image\.ts layout: `bootMiB` \(10 MiB\) plus the conf partition does not fit the disk \(diskMiB 8\)/, dist);
  await expectCode(t, buildImage({ name: 'badname', imagesDir: images, distDir: dist }), 'BAD_LAYOUT', /`confName` is 40 characters long/, dist);
  await expectCode(t, buildImage({ name: 'badlkrn', imagesDir: images, distDir: dist }), 'BAD_KERNEL', /badlkrn\/ipxe\/ipxe\.lkrn is not a bzImage \(no 0x55AA at 0x1FE and "HdrS" at 0x202/, dist);
  await expectCode(t, buildImage({ name: 'reserved', imagesDir: images, distDir: dist }), 'BAD_IMAGE_FILE', /ldlinux\.c32 is written by `extlinux --install`/, dist);
  await expectCode(t, buildImage({ name: 'ok-one', imagesDir: images, distDir: dist, overlay: { '../etc/passwd': 'x' } }), 'BAD_OVERLAY', /overlay key `..\/etc\/passwd`/, dist);
  const loops = execFileSync('losetup', ['-a'], { encoding: 'utf8' });
  t.notMatch(loops, root, 'no loop device left');
  t.notMatch(readFileSync('/proc/mounts', 'utf8'), /\/tmp\/image-mnt-/, 'no mount left');
});

t.test('CLI: exit 2 with message and hint; exit 0 and the table on success', async (t) => {
  const dist = t.testdir();
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
  t.equal(await runBuild(['nope', '--dist', dist], io), 2);
  t.match(err.join('\n'), /error \[IMAGE_NOT_FOUND\]: image definition images\/nope does not exist\n {2}hint: available images in images: .*hypersolid-cloud/);
  t.equal(await runBuild(['--bogus'], io), 2);
  t.match(err.join('\n'), /BAD_ARGS/);
  out.length = 0;
  t.equal(await runBuild(['hypersolid-cloud-external', '--dist', dist, '--no-gzip'], io), 0, err.join('\n'));
  const text = out.join('\n');
  t.match(text, /Number {2}Start \(sector\) {4}End \(sector\) {2}Size/);
  t.match(text, /\n {3}1 {12}2048 {11}22527 {3}10\.0 MiB {3}8300 {2}boot .* ext2 {3}legacy BIOS bootable/);
  t.match(text, /ok {3}fsck-p2/);
  t.match(text, new RegExp(`image: ${dist}/hypersolid-cloud-external\\.img`));
  out.length = 0;
  t.equal(await runBuild(['hypersolid-cloud-external', '--dist', dist, '--no-gzip'], io), 0);
  t.match(out.join('\n'), /cache hit/);
});

t.test('NEED_ROOT when not root (and no cached build)', { skip: process.getuid?.() !== 0 ? 'needs root to drop privileges' : false }, async (t) => {
  const dist = join('/tmp', `image-noroot-${process.pid}`);
  t.teardown(() => execFileSync('rm', ['-rf', dist]));
  const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', `exec env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin "${process.execPath}" bin/bootchain.js build --no-gzip --dist ${dist}`], { reject: false, extendEnv: false, env: { HOME: '/tmp', PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  t.equal(r.exitCode, 2, 'exit 2');
  t.notMatch(r.stderr, /EACCES/, 'clean stderr');
  t.match(r.stderr, /NEED_ROOT.*needs root: `extlinux --install` only works on a mounted file system/);
  t.match(r.stderr, /hint: run as root/);
  t.notOk(existsSync(dist), 'nothing written');
});
