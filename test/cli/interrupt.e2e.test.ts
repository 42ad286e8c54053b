import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import t from 'tap';
import { CLI, DEFAULT_IMG, ensureDefaultImage, isRoot, makeTemp, ROOT, rmTemp } from './fixtures/cli-run.ts';
import { loopDevicesFor, mountsUnder, pollFor, holderProcesses, processesMatching } from './fixtures/processes.ts';

/**
 * Ctrl-C / SIGTERM at a real CLI mid-boot and mid-build: the CLI ends within seconds and leaves no
 * QEMU, no listening stub socket, no temp dir, no mount and no loop device behind.
 */

const work = makeTemp('interrupt');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');
const EXIT_WITHIN_MS = 8_000;

/** The CLI with a private TMPDIR, so every temp dir it makes can be found (and must be gone) afterwards. */
function spawnCli(args: string[], tmp: string) {
  mkdirSync(tmp, { recursive: true });
  return execa(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    reject: false,
    all: true,
    env: { TMPDIR: tmp, BOOTCHAIN_ARTIFACTS: artifacts },
    timeout: 120_000,
  });
}

const ours = (tmp: string) => readdirSync(tmp).filter((f) => f.startsWith('bootchain') || f.startsWith('image-mnt-'));

function diedOf(sig: 'SIGINT' | 'SIGTERM', r: { signal?: string | undefined; exitCode?: number | undefined }): boolean {
  return r.signal === sig || r.exitCode === 128 + constants.signals[sig];
}

t.before(() => ensureDefaultImage(artifacts));

// early: as soon as the QEMU process exists (QMP not connected yet); mid: QMP up and the guest running.
const BOOT_CASES = [['SIGINT', 'early'], ['SIGINT', 'mid'], ['SIGTERM', 'mid']] as const;

for (const [sig, when] of BOOT_CASES) {
  t.test(`${sig} ${when} in boot --realtime: CLI exits, QEMU, stub socket and temp dir are gone`, async (t) => {
    const tmp = join(work, `tmp-boot-${sig}-${when}`);
    // A private copy makes the image path a unique needle among other tests' QEMUs.
    const img = join(work, `boot-${sig}-${when}.img`);
    await execa('cp', ['--sparse=always', DEFAULT_IMG, img]);
    const child = spawnCli(['boot', img, '--realtime'], tmp);
    const qemu = await pollFor(() => processesMatching('qemu-system', img)[0], 60_000, 10);
    t.ok(qemu, 'QEMU started with the image');
    if (!qemu) {
      child.kill('SIGKILL');
      const r = await child;
      t.fail(`no QEMU seen; CLI output:\n${r.all}`);
      return;
    }
    if (when === 'mid') {
      const qmpUp = await pollFor(() => ours(tmp).some((d) => d.startsWith('bootchain-') && existsSync(join(tmp, d, 'qmp.sock'))), 10_000, 10);
      t.ok(qmpUp, 'the QMP socket exists');
      await sleep(300);
    }
    // The stub's sockets live in the boot's private network; its holder process carries the run's TMPDIR.
    const holder = await pollFor(() => holderProcesses(tmp)[0], 10_000, 10);
    const tempBefore = ours(tmp);
    t.ok(holder, 'the private network\'s holder runs while booting');
    t.ok(tempBefore.some((f) => f.startsWith('bootchain-')), `the machine temp dir exists while booting: ${tempBefore.join(', ')}`);

    const sentAt = Date.now();
    child.kill(sig);
    const r = await Promise.race([child, sleep(EXIT_WITHIN_MS).then(() => null)]);
    const exitMs = Date.now() - sentAt;
    t.ok(r, `CLI exited within ${EXIT_WITHIN_MS} ms of ${sig}`);
    if (!r) {
      child.kill('SIGKILL');
      await child;
      return;
    }
    t.comment(`${sig}: CLI ended (${r.signal ?? `exit ${r.exitCode}`}) ${exitMs} ms after the signal`);
    t.ok(diedOf(sig, r), `ended by ${sig} (got ${r.signal ?? `exit ${r.exitCode}`}); output:\n${r.all}`);
    t.notMatch(r.all, /AbortError|\n\s+at /, 'no stack trace for an interrupt');
    t.match(r.stderr, new RegExp(`${sig}: stopping`), 'the CLI said it was stopping');
    t.same(processesMatching('qemu-system', img), [], 'no QEMU with the image remains');
    t.same(holderProcesses(tmp), [], 'no private-network holder remains');
    t.same(ours(tmp), [], 'no bootchain temp dir left');
  });
}

t.test('SIGINT during build --builder loop --no-cache: no mount, loop device, mount dir or temp output left', { skip: isRoot ? false : 'needs root (loop mount)' }, async (t) => {
  const tmp = join(work, 'tmp-build');
  const dist = join(work, 'dist-build');
  mkdirSync(dist, { recursive: true });
  const child = spawnCli(['build', '--builder', 'loop', '--no-cache', '--no-gzip', '--dist', dist], tmp);
  const mounted = await pollFor(() => mountsUnder(tmp)[0], 60_000, 10);
  t.ok(mounted, 'the build mounted the boot partition under its TMPDIR');
  const loopsWhileMounted = await loopDevicesFor(dist);
  if (mounted) child.kill('SIGINT');
  const r = await Promise.race([child, sleep(EXIT_WITHIN_MS).then(() => null)]);
  t.ok(r, 'build exited after SIGINT');
  if (!r) {
    child.kill('SIGKILL');
    await child;
    return;
  }
  t.comment(`loop devices seen while mounted: ${loopsWhileMounted.length}; build ended: ${r.signal ?? `exit ${r.exitCode}`}`);
  t.ok(diedOf('SIGINT', r) || !mounted, `ended by SIGINT (got ${r.signal ?? `exit ${r.exitCode}`}); output:\n${r.all}`);
  t.same(mountsUnder(tmp), [], 'no mount left (/proc/mounts)');
  // The kernel releases an autoclear loop device once its last user closes it, a moment after umount.
  const loopsGone = await pollFor(async () => ((await loopDevicesFor(dist)).length === 0 ? true : null), 3_000, 50);
  t.same(loopsGone ? [] : await loopDevicesFor(dist), [], 'no loop device left (losetup -a, within 3 s of the exit)');
  t.same(ours(tmp), [], `no mount dir left (TMPDIR holds: ${readdirSync(tmp).join(', ')})`);
  t.same(readdirSync(dist).filter((f) => f.includes('.tmp-')), [], 'no temp output in dist');
  t.notOk(readdirSync(dist).some((f) => f.endsWith('.cache-key')), 'no cache key for an unfinished build');
});
