import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { CLI, makeTemp, pollFor, rmTemp } from './fixtures/cli.ts';

/**
 * A `build --builder loop` SIGKILLed while it holds the boot partition loop-mounted (no cleanup can run):
 * the next bootchain command unmounts the mount (its loop device goes with it), removes the mount dir and
 * the partial image in dist/, says so, and builds.
 */
const work = makeTemp('build-kill');
t.teardown(rmTemp(work));
const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
const loopsOn = async (dir: string) => (await execa('losetup', ['-a'], { reject: false })).stdout.split('\n').filter((l) => l.includes(dir));

t.test('SIGKILL of a loop build with its mount held: the next run sweeps the mount, the loop device and the partial output', { skip: process.getuid?.() !== 0 ? 'the loop builder needs root' : false }, async (t) => {
  const tmp = join(work, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const cli = (args: string[]) => execa(process.execPath, [CLI, ...args], { cwd: work, reject: false, all: true, env: { TMPDIR: tmp, BOOTCHAIN_ARTIFACTS: join(work, 'artifacts') }, timeout: 300_000 });
  const child = cli(['build', '--builder', 'loop']);
  const mounted = await pollFor(() => mountsUnder(join(tmp, 'bootchain-mnt-'))[0], 120_000, 5);
  child.kill('SIGKILL');
  const r = await child;
  t.ok(mounted, 'the build mounted its boot partition (control)');
  if (!mounted) t.comment(r.all);
  t.equal(r.signal, 'SIGKILL');
  t.ok(mountsUnder(tmp).length > 0, 'the control: a SIGKILLed build leaves its mount');
  t.ok((await loopsOn(join(work, 'dist'))).length > 0, 'the control: and its loop device');
  t.ok(readdirSync(join(work, 'dist')).some((f) => f.includes('.tmp-')), 'the control: and its partial image');
  const next = await cli(['build', '--builder', 'loop']);
  t.equal(next.exitCode, 0, 'the next build passes');
  if (next.exitCode !== 0) t.comment(next.all);
  t.match(next.stderr, /cleaned up 1 temp dir\(s\) left by a killed bootchain run: .*bootchain-mnt-.*unmounted 1 mount, its loop device released/);
  t.match(next.stderr, /removed 1 partial output file\(s\) left by a killed bootchain run: .*\.tmp-/);
  t.same(mountsUnder(tmp), [], 'no mount left');
  t.same(await loopsOn(join(work, 'dist')), [], 'no loop device left');
  t.same(readdirSync(join(work, 'dist')).filter((f) => f.includes('.tmp-')), [], 'no partial output left');
  t.same(readdirSync(tmp).filter((f) => f.startsWith('bootchain-')), [], 'no bootchain temp dir left');
  t.ok(existsSync(join(work, 'dist', 'hypersolid-cloud.img')), 'and the build that followed produced the image');
});
