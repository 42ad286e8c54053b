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
  t.notMatch(readFileSync('/proc/mounts', 'utf8'), /\/tmp\/bootchain-mnt-/, 'no mount left');
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

t.test('NEED_ROOT for --builder loop when not root (and no cached build)', { skip: process.getuid?.() !== 0 ? 'needs root to drop privileges' : false }, async (t) => {
  const dist = join('/tmp', `image-noroot-${process.pid}`);
  t.teardown(() => execFileSync('rm', ['-rf', dist]));
  const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', `exec env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin "${process.execPath}" bin/bootchain.js build --builder loop --no-gzip --dist ${dist}`], { reject: false, extendEnv: false, env: { HOME: '/tmp', PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  t.equal(r.exitCode, 2, 'exit 2');
  t.notMatch(r.stderr, /EACCES/, 'clean stderr');
  t.match(r.stderr, /NEED_ROOT.*with --builder loop needs root: `extlinux --install` only works on a mounted file system/);
  t.match(r.stderr, /hint: drop --builder loop \(the default rootless builder needs no root\), or run as root/);
  t.notOk(existsSync(dist), 'nothing written');
});

t.test('image folders: symlinks out of the folder, FIFOs and devices are refused; links inside are followed', async (t) => {
  const { symlinkSync } = await import('node:fs');
  const { loadImage } = await import('../../harness/image/image-def.ts');
  const root = t.testdir();
  const images = join(root, 'images');
  const dist = join(root, 'dist');
  const outside = join(root, 'secret.txt');
  writeFileSync(outside, 'host secret\n');
  def(images, 'link-out', { 'extlinux/extlinux.conf': CONF });
  symlinkSync(outside, join(images, 'link-out', 'extlinux', 'secret.txt'));
  def(images, 'link-in', { 'extlinux/extlinux.conf': CONF, 'ipxe/shared.txt': 'shared\n' });
  symlinkSync('../ipxe/shared.txt', join(images, 'link-in', 'extlinux', 'alias.txt'));
  def(images, 'fifo', { 'extlinux/extlinux.conf': CONF });
  execFileSync('mkfifo', [join(images, 'fifo', 'extlinux', 'pipe')]);
  def(images, 'dangling', { 'extlinux/extlinux.conf': CONF });
  symlinkSync('/nonexistent/file', join(images, 'dangling', 'extlinux', 'gone'));

  await expectCode(t, buildImage({ name: 'link-out', imagesDir: images, distDir: dist }), 'SYMLINK_OUTSIDE', /link-out\/extlinux\/secret\.txt is a symlink to .*secret\.txt, outside the image definition .*link-out: refused/, dist);
  await expectCode(t, buildImage({ name: 'fifo', imagesDir: images, distDir: dist }), 'BAD_IMAGE_FILE', /fifo\/extlinux\/pipe is not a regular file \(a device, FIFO or socket\): refused/, dist);
  await expectCode(t, buildImage({ name: 'dangling', imagesDir: images, distDir: dist }), 'BAD_IMAGE_FILE', /dangling\/extlinux\/gone is a symlink to \/nonexistent\/file, which does not exist/, dist);
  // Positive control: a link that stays inside the folder is followed.
  const ok = await loadImage('link-in', images);
  t.same(ok.files.find((f) => f.dest === 'alias.txt')?.bytes.toString(), 'shared\n', 'a symlink inside the image folder is followed');
});

t.test('output folder in the way / bad SOURCE_DATE_EPOCH: exit 2 naming it, nothing written', async (t) => {
  const root = t.testdir();
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  await expectCode(t, buildImage({ name: 'hypersolid-cloud', distDir: join(file, 'dist') }), 'OUT_DIR_NOT_WRITABLE', new RegExp(`cannot create the output folder ${file}/dist: a file is in the way`), join(file, 'dist'));
  const dist = join(root, 'dist');
  process.env['SOURCE_DATE_EPOCH'] = 'yesterday';
  t.teardown(() => { delete process.env['SOURCE_DATE_EPOCH']; });
  await expectCode(t, buildImage({ name: 'hypersolid-cloud', distDir: dist }), 'BAD_SOURCE_DATE_EPOCH', /SOURCE_DATE_EPOCH must be a whole number of seconds since 1970.*got `yesterday`/, dist);
});

// As root, permissions do not stop reads or writes: these run the CLI as `nobody`.
const asNobody = (args: string, cwd: string) =>
  execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', `cd "${cwd}" && exec env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin "${process.execPath}" "${process.cwd()}/bin/bootchain.js" build ${args}`], { reject: false, extendEnv: false, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });

t.test('unwritable output folder and unreadable input file (as an unprivileged user)', { skip: process.getuid?.() !== 0 ? 'needs root to drop privileges' : false }, async (t) => {
  const root = join('/tmp', `bootchain-badperm-${process.pid}`);
  t.teardown(() => execFileSync('rm', ['-rf', root]));
  const images = join(root, 'images');
  def(images, 'secret', { 'extlinux/extlinux.conf': CONF, 'ipxe/key.txt': 'k\n' });
  execFileSync('chmod', ['-R', 'a+rX', root]);
  execFileSync('chmod', ['000', join(images, 'secret', 'ipxe', 'key.txt')]);
  const ro = join(root, 'ro-dist');
  mkdirSync(ro, { mode: 0o555 });
  execFileSync('chmod', ['555', ro]);

  const dist = join(root, 'dist');
  execFileSync('chmod', ['777', root]);
  const r = await asNobody(`secret --images ${images} --no-gzip --dist ${dist}`, root);
  t.equal(r.exitCode, 2, 'exit 2 for an unreadable input');
  t.match(r.stderr, /INPUT_UNREADABLE.*cannot read .*images\/secret\/ipxe\/key\.txt: permission denied \(uid 65534\)/);
  t.ok(distEmpty(dist), 'no output left behind');
  execFileSync('chmod', ['644', join(images, 'secret', 'ipxe', 'key.txt')]);

  const w = await asNobody(`secret --images ${images} --no-gzip --dist ${ro}`, root);
  t.equal(w.exitCode, 2, 'exit 2 for an unwritable output folder');
  t.match(w.stderr, new RegExp(`OUT_DIR_NOT_WRITABLE.*the output folder ${ro} is not writable by this user \\(uid 65534\\)`));
  t.same(readdirSync(ro), [], 'nothing written');
  // Positive control: readable input, writable folder: the same build as the same user succeeds.
  const ok = await asNobody(`secret --images ${images} --no-gzip --dist ${dist}`, root);
  t.equal(ok.exitCode, 0, ok.stderr);
  t.match(ok.stdout, /sha256: [0-9a-f]{64} {2}.*secret\.img/);
});
