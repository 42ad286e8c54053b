import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import t from 'tap';

const isRoot = process.getuid?.() === 0;
const BIN = resolve('bin/bootchain.js');

/** Runs `bootchain ARGS` as `user` in `cwd` with a clean environment (plus `env`), like a fresh login would. */
const asUser = (user: string, cwd: string, args: string[], env: Record<string, string> = {}, umask = '022') =>
  execa('runuser', ['-u', user, '--', '/bin/sh', '-c', `umask ${umask}; cd "$0" && exec env -i HOME="$0" PATH=/usr/local/bin:/usr/bin:/bin ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} "${process.execPath}" "${BIN}" "$@"`, cwd, ...args], { reject: false, extendEnv: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });

/**
 * 32-bit little-endian values in [lo, hi] anywhere in the image outside the files' own bytes (whose content
 * could hold anything): a timestamp of the build's real clock in any structure (superblock, inode, FAT entry).
 */
function clockStamps(image: string, lo: number, hi: number): number[] {
  const map = JSON.parse(readFileSync(image.replace(/\.img$/, '.map.json'), 'utf8')) as { regions: Array<{ kind: string; ranges: Array<{ start: number; end: number }> }> };
  const skip = map.regions.filter((r) => r.kind === 'file').flatMap((r) => r.ranges);
  const b = readFileSync(image);
  const hits: number[] = [];
  for (let at = 0; at + 4 <= b.length; at += 4) {
    const v = b.readUInt32LE(at);
    if (v >= lo && v <= hi && !skip.some((r) => at >= r.start && at < r.end)) hits.push(at);
  }
  return hits;
}

const shaLines = (out: string): string[] => [...out.matchAll(/^sha256: ([0-9a-f]{64}) {2}(\S+)$/gm)].map((m) => `${m[1]} ${m[2]!.split('/').pop()}`);

/**
 * Issue 13's "done when": an unprivileged user (made here, removed after) builds the default image with
 * `bootchain build` in a fresh folder; it boots through every stage (booted as that user too); a second
 * user in another folder, with another umask, time zone and input mtimes, gets the same sha256; a changed
 * input or SOURCE_DATE_EPOCH changes it.
 */
t.test('rootless build as two unprivileged users: same sha256, boots through every stage', { skip: !isRoot && 'needs root to create users' }, async (t) => {
  const tag = `${process.pid % 100000}`;
  const users = [`bcrl1${tag}`, `bcrl2${tag}`];
  const dirs = users.map((u) => join('/tmp', `bootchain-${u}`));
  t.teardown(() => {
    for (const u of users) execa('userdel', ['-f', u], { reject: false });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  for (const [i, u] of users.entries()) {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', u]);
    mkdirSync(dirs[i]!, { recursive: true });
    execFileSync('chown', [`${u}:`, dirs[i]!]);
  }
  const id = (u: string) => execFileSync('id', ['-u', u], { encoding: 'utf8' }).trim();
  t.not(id(users[0]!), '0', 'the first user is not root');

  const started = Math.floor(Date.now() / 1000);
  const a = await asUser(users[0]!, dirs[0]!, ['build']);
  t.equal(a.exitCode, 0, `user ${users[0]} builds without root`);
  if (a.exitCode !== 0) t.comment(`${a.stdout}\n${a.stderr}`);
  t.match(a.stdout, /built in \d+ ms \(rootless builder\)/);
  const shaA = shaLines(a.stdout);
  t.equal(shaA.length, 2, 'prints the sha256 of the image and of boot.img.gz');
  const dist = join(dirs[0]!, 'dist');
  t.equal(readFileSync(join(dist, 'hypersolid-cloud.img.sha256'), 'utf8'), `${shaA[0]!.replace(' ', '  ')}\n`, 'written next to the image, sha256sum format');
  execFileSync('runuser', ['-u', users[0]!, '--', 'sha256sum', '-c', '--quiet', 'hypersolid-cloud.img.sha256', 'boot.img.gz.sha256'], { cwd: dist });
  t.equal(execFileSync('stat', ['-c', '%U', join(dist, 'boot.img.gz')], { encoding: 'utf8' }).trim(), users[0], 'the output belongs to the user');

  // The cache works for the user too: a second build is a hit with the same hashes.
  const again = await asUser(users[0]!, dirs[0]!, ['build']);
  t.match(again.stdout, /cache hit/, 'a second build by the same user is a cache hit');
  t.same(shaLines(again.stdout), shaA, 'and prints the same sha256');

  // "Another day": no value of today's clock (the build's minutes ± 10 min) anywhere in the image's structures.
  const window = [started - 600, Math.floor(Date.now() / 1000) + 600] as const;
  t.same(clockStamps(join(dist, 'hypersolid-cloud.img'), ...window), [], 'no timestamp of the real clock in the image: every time is the epoch');
  // Positive control: the loop builder (a kernel mount) leaves the real clock in the ext2 boot partition.
  const loopDist = join(dirs[0]!, 'loop-control');
  const l = await execa(process.execPath, [BIN, 'build', '--builder', 'loop', '--no-gzip', '--dist', loopDist], { reject: false });
  t.equal(l.exitCode, 0, l.stderr);
  t.ok(clockStamps(join(loopDist, 'hypersolid-cloud.img'), window[0], Math.floor(Date.now() / 1000) + 600).length > 0, 'the same scan finds the clock in a loop-mount build (the scan can fail)');

  // Boots through every stage, as the same unprivileged user.
  const boot = await asUser(users[0]!, dirs[0]!, ['boot', 'dist/boot.img.gz', '--json', '--artifacts', join(dirs[0]!, 'artifacts')]);
  let verdict: { verdict: string; stages: Array<{ id: string; status: string }> } | undefined;
  try {
    verdict = JSON.parse(boot.stdout);
  } catch {
    t.fail(`boot --json printed no JSON:\n${boot.stdout}\n${boot.stderr}`);
  }
  t.equal(verdict?.verdict, 'pass', `boot verdict:\n${boot.stderr.slice(-3000)}`);
  t.same(verdict?.stages.filter((s) => s.status !== 'passed').map((s) => `${s.id} ${s.status}`), [], 'every stage passed');
  t.same(verdict?.stages.map((s) => s.id), ['bios', 'mbr', 'gpt', 'vbr', 'ldlinux-sys', 'ldlinux-c32', 'config', 'ipxe', 'script', 'network', 'chain']);

  // The second user: its own copy of the image folder with other mtimes, another folder, umask, time zone.
  const images = join(dirs[1]!, 'images');
  execFileSync('mkdir', ['-p', images]);
  execFileSync('cp', ['-r', resolve('images/hypersolid-cloud'), images]);
  // The package's image.ts imports defineImage by a relative path into the package: the copy states the same layout plainly.
  const layout = readFileSync(resolve('images/hypersolid-cloud/image.ts'), 'utf8').match(/layout: (\{[^}]*\})/)![1];
  writeFileSync(join(images, 'hypersolid-cloud', 'image.ts'), `export default { layout: ${layout} };\n`);
  // A user's project is an ES module package (an image.ts outside one does not load: a separate issue).
  writeFileSync(join(dirs[1]!, 'package.json'), '{ "type": "module" }\n');
  execFileSync('touch', ['-d', '2031-07-04 12:00', ...execFileSync('find', [images], { encoding: 'utf8' }).trim().split('\n')]);
  execFileSync('chown', ['-R', `${users[1]}:`, dirs[1]!]);
  const b = await asUser(users[1]!, dirs[1]!, ['build', '--dist', 'out'], { TZ: 'Pacific/Kiritimati', LC_ALL: 'C.UTF-8' }, '077');
  t.equal(b.exitCode, 0, `user ${users[1]} builds`);
  if (b.exitCode !== 0) t.comment(`${b.stdout}\n${b.stderr}`);
  t.match(b.stdout, new RegExp(`image: ${dirs[1]}/out/hypersolid-cloud\\.img`), 'in its own folder, from its own copy of the image folder');
  t.same(shaLines(b.stdout), shaA, 'same sha256 for the image and the .gz: different user, folder, umask, time zone, input mtimes');

  // A changed input changes the hash; so does SOURCE_DATE_EPOCH; the same SOURCE_DATE_EPOCH twice does not.
  writeFileSync(join(images, 'hypersolid-cloud', 'extlinux', 'extlinux.conf'), readFileSync(join(images, 'hypersolid-cloud', 'extlinux', 'extlinux.conf'), 'utf8') + '# changed\n');
  const c = await asUser(users[1]!, dirs[1]!, ['build', '--dist', 'changed', '--no-gzip']);
  t.equal(c.exitCode, 0, c.stderr);
  t.not(shaLines(c.stdout)[0]!.split(' ')[0], shaA[0]!.split(' ')[0], 'a changed extlinux.conf changes the image sha256');
  const e1 = await asUser(users[0]!, dirs[0]!, ['build', '--dist', 'epoch1', '--no-gzip'], { SOURCE_DATE_EPOCH: '1700000000' });
  const e2 = await asUser(users[1]!, dirs[1]!, ['build', '--images', resolve('images'), '--dist', 'epoch2', '--no-gzip'], { SOURCE_DATE_EPOCH: '1700000000' });
  t.equal((e1.exitCode ?? 1) + (e2.exitCode ?? 1), 0, `${e1.stderr}${e2.stderr}`);
  t.not(shaLines(e1.stdout)[0]!.split(' ')[0], shaA[0]!.split(' ')[0], 'SOURCE_DATE_EPOCH changes the image');
  t.equal(shaLines(e1.stdout)[0]!.split(' ')[0], shaLines(e2.stdout)[0]!.split(' ')[0], 'the same SOURCE_DATE_EPOCH gives the same image for both users');
});
