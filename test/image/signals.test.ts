import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { LoopMount } from '../../harness/image/loop-mount.ts';

const isRoot = process.getuid?.() === 0;

/** The probes the signal test relies on; the positive control below shows they see a real mount. */
const MOUNT_RE = /\/bootchain-mnt-\d+-/;
const mountsText = (): string => readFileSync('/proc/mounts', 'utf8');
const loopText = (): string => execFileSync('losetup', ['-a'], { encoding: 'utf8' });

/**
 * bootchain-mnt mounts (now) whose loop device is backed by a file under `dir` — read from /proc and
 * /sys only, so it is cheap enough for a stdout handler and not fooled by another build's mount.
 */
function imageMountsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const line of mountsText().split('\n')) {
    const [dev, at] = line.split(' ');
    if (!dev || !at || !MOUNT_RE.test(at)) continue;
    const loop = /^\/dev\/(loop\d+)$/.exec(dev)?.[1];
    let backing = '';
    try {
      backing = loop ? readFileSync(`/sys/block/${loop}/loop/backing_file`, 'utf8').trim() : '';
    } catch {
      // detached meanwhile
    }
    if (backing.startsWith(dir)) found.push(`${dev} on ${at} (${backing})`);
  }
  return found;
}

t.test('positive control: the mount and loop probes see a loop mount made like the builder\'s', { skip: !isRoot && 'needs root' }, async (t) => {
  const dir = t.testdir();
  const image = join(dir, 'control.img');
  writeFileSync(image, '');
  truncateSync(image, 4 << 20);
  await execa('mke2fs', ['-q', '-F', '-t', 'ext2', '-E', 'offset=1048576', image, '3072k']);
  // Exactly the builder's owner: mount -o loop,offset=…,sizelimit=… on /tmp/bootchain-mnt-PID-XXXX.
  const mnt = await LoopMount.open(image, 1 << 20, 3 << 20);
  t.teardown(() => mnt.close());
  t.match(mnt.dir, /^\/tmp\/bootchain-mnt-\d+-/, 'the mount dir has the builder\'s prefix');
  t.match(mountsText(), MOUNT_RE, `/proc/mounts shows it:\n${mountsText()}`);
  t.match(loopText(), dir, `losetup -a shows a loop device backed by the image:\n${loopText()}`);
  t.equal(imageMountsUnder(dir).length, 1, `the per-dir probe finds it: ${imageMountsUnder(dir).join('; ')}`);
  await mnt.close();
  t.notMatch(loopText(), dir, 'after close: no loop device');
  t.same(imageMountsUnder(dir), [], 'after close: no mount');
  t.notOk(existsSync(mnt.dir), 'after close: no mount dir');
});

/**
 * SIGTERM/SIGINT at any moment of a build leaves no mount, loop device, mount dir or temp file.
 * The kill is triggered by the build's own progress lines; the extlinux cases are meant to land
 * while the mount is held, and the test records whether it really was at the moment of the kill.
 */
t.test('a loop build (--builder loop) killed mid-way leaves nothing behind', { skip: !isRoot && 'needs root' }, async (t) => {
  const dist = t.testdir({ tmp: {} });
  // A private TMPDIR: mount dirs of builds in other test files running at the same time are not ours.
  const tmp = join(dist, 'tmp');
  const before = new Set(readdirSync(tmp).filter((d) => d.startsWith('bootchain-mnt-')));
  // [signal, trigger, meant to land while the mount is held]
  const cases = [['SIGTERM', /mke2fs:/, false], ['SIGINT', /extlinux --install/, true], ['SIGTERM', /extlinux --install/, true], ['SIGINT', /GPT written/, false]] as const;
  let heldKills = 0;
  for (const [sig, trigger] of cases) {
    const child = execa('/bin/sh', ['-c', `exec env -i HOME=/tmp TMPDIR=${tmp} PATH=/usr/local/bin:/usr/bin:/bin "${process.execPath}" bin/bootchain.js build --builder loop --no-cache --no-gzip --dist ${dist}`], { reject: false, buffer: false });
    let out = '';
    let atKill: string[] | null = null;
    const earlier = new Set(imageMountsUnder(dist)); // a leak of an earlier case must not count as this one's mount
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (trigger.test(out) && !child.killed) {
        atKill = imageMountsUnder(dist).filter((m) => !earlier.has(m));
        child.kill(sig);
      }
    });
    const r = await child;
    const held: string[] = atKill ?? [];
    if (held.length > 0) heldKills++;
    t.comment(`${sig} at ${trigger}: ${r.signal ?? `exit ${r.exitCode}`}; mount at the kill: ${held.join('; ') || 'none'}`);
    t.ok(atKill, `the trigger line came and the kill was sent (output:\n${out})`);
    // While it owns something the reaper closes it, then exits with the shell's code for the signal
    // (130 SIGINT, 143 SIGTERM); while it owns nothing the signal's default action ends the process.
    const code = 128 + (os.constants.signals[sig as NodeJS.Signals] ?? 0);
    t.ok(r.signal === sig || r.exitCode === code, `the build ended by the signal (${r.signal ?? `exit ${r.exitCode}`})`);
    t.notMatch(mountsText(), tmp, `no mount (${sig} at ${trigger})`);
    t.notMatch(loopText(), dist, 'no loop device');
    t.same(readdirSync(dist).filter((f) => f.includes('.tmp-') && f !== 'tmp'), [], `no temp output (${sig} at ${trigger}: ${r.signal ?? `exit ${r.exitCode}`}; output:\n${out})`);
    t.notOk(existsSync(`${dist}/hypersolid-cloud.cache-key`), 'no cache key for an unfinished build');
    t.same(readdirSync(tmp).filter((d) => d.startsWith('bootchain-mnt-') && !before.has(d)), [], `no mount dir left (${sig} at ${trigger}; output:\n${out})`);
  }
  // Otherwise the "no mount / no loop device" checks above never had anything to clean up.
  t.ok(heldKills >= 1, `at least one kill landed while the build held its loop mount (${heldKills} of ${cases.filter((c) => c[2]).length})`);
  t.same(readdirSync(tmp).filter((d) => d.startsWith('bootchain-mnt-') && !before.has(d)), [], 'no mount dir left');
});

/** bootchain's own temp folders (tempPrefix: bootchain-KIND-PID-…); tsx keeps its cache there too. */
const ours = (tmp: string): string[] => readdirSync(tmp).filter((d) => d.startsWith('bootchain-'));

/** The rootless builder owns a staging folder and temp outputs: a kill at any step leaves neither behind. */
t.test('a rootless build killed mid-way leaves no staging folder or temp output', async (t) => {
  const dist = t.testdir({ tmp: {} });
  const tmp = join(dist, 'tmp');
  const cases = [['SIGINT', /GPT written/], ['SIGTERM', /gptmbr\.bin → MBR/], ['SIGINT', /mke2fs -d: p1/], ['SIGTERM', 'staging']] as const;
  let stagedKills = 0;
  for (const [sig, trigger] of cases) {
    const child = execa('/bin/sh', ['-c', `exec env -i HOME=/tmp TMPDIR=${tmp} PATH=/usr/local/bin:/usr/bin:/bin "${process.execPath}" bin/bootchain.js build --no-cache --dist ${dist}`], { reject: false, buffer: false });
    let out = '';
    let stagedAtKill: string[] | null = null;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (typeof trigger !== 'string' && trigger.test(out) && !child.killed) {
        stagedAtKill = ours(tmp);
        child.kill(sig);
      }
    });
    // 'staging': kill as soon as the staging folder shows up (polled), so one kill lands while it exists.
    const poll = trigger === 'staging' ? setInterval(() => {
      const now = ours(tmp);
      if (now.some((d) => d.startsWith('bootchain-stage-')) && !child.killed) {
        stagedAtKill = now;
        child.kill(sig);
      }
    }, 2) : undefined;
    const r = await child;
    clearInterval(poll);
    if ((stagedAtKill ?? [] as string[]).some((d: string) => d.startsWith('bootchain-stage-'))) stagedKills++;
    t.ok(stagedAtKill, `the trigger came and the kill was sent (output:\n${out})`);
    t.comment(`${sig} at ${trigger}: ${r.signal ?? `exit ${r.exitCode}`}; TMPDIR at the kill: ${(stagedAtKill ?? []).join(', ') || 'empty'}`);
    t.same(ours(tmp), [], `no staging or temp folder of bootchain left (${sig} at ${trigger})`);
    t.same(readdirSync(dist).filter((f) => f.includes('.tmp-') && f !== 'tmp'), [], `no temp output (${sig} at ${trigger})`);
    t.notOk(existsSync(`${dist}/hypersolid-cloud.cache-key`), 'no cache key for an unfinished build');
  }
  t.ok(stagedKills >= 1, `at least one kill landed while the staging folder existed (${stagedKills}): the cleanup had something to remove`);
});
