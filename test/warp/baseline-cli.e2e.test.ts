// Timing baselines end to end: record one from a passing run, an unchanged run stays within it, and a
// boot made slower on purpose (PROMPT 1 + TIMEOUT 50 → a 5 s wait) is flagged, with exit 1 (in real time:
// see below why).
import t from 'tap';
import { execa } from 'execa';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const cli = (args: string[], artifacts: string) =>
  execa('node', ['bin/bootchain.js', ...args], { reject: false, all: true, env: { BOOTCHAIN_ARTIFACTS: artifacts } });

t.test('baseline: unchanged run passes, a deliberately slower boot is flagged', async (t) => {
  const dir = t.testdir({});
  const art = join(dir, 'artifacts');
  const rec = await cli(['run', '--scenario', 'embedded-script', '--write-baseline', join(dir, 'b1')], art);
  t.equal(rec.exitCode, 0, `recording run passes:\n${rec.all}`);
  const base = JSON.parse(await readFile(join(dir, 'b1', 'embedded-script.json'), 'utf8')) as { mode: string; stages: Array<{ id: string; guestMs: number | null }> };
  t.equal(base.mode, 'warp', 'recorded under time warp (the default)');
  t.ok(base.stages.every((s) => s.guestMs !== null), 'every stage has a guest time');

  // Whether an unchanged run stays within the default tolerance depends on the host's load (a speed
  // question for `npm run bench`); here a wide tolerance checks the comparison itself, deterministically.
  const same = await cli(['run', '--scenario', 'embedded-script', '--baseline', join(dir, 'b1'), '--tolerance-ms', '120000'], art);
  t.equal(same.exitCode, 0, `an unchanged run stays within a wide tolerance of the baseline:\n${same.all}`);
  t.match(same.all, /baseline: ok/);

  // The deliberate slowdown is compared in real time. Under time warp the guest runs ~25× faster than the
  // host's clock, so a loaded host that reads a console line 0.2 s late stamps it ~5 s of guest time late:
  // as much as the wait itself (seen on CI, where tap's other jobs boot QEMUs beside this test). In real time
  // the same lag is 0.2 s, and the 5 s wait stands out whatever the load.
  const recRt = await cli(['run', '--scenario', 'embedded-script', '--realtime', '--write-baseline', join(dir, 'b3')], art);
  t.equal(recRt.exitCode, 0, `recording run in real time passes:\n${recRt.all}`);
  await mkdir(join(dir, 'b2'));
  await copyFile(join(dir, 'b3', 'embedded-script.json'), join(dir, 'b2', 'config-prompt-timeout.json'));
  const slow = await cli(['run', '--scenario', 'config-prompt-timeout', '--realtime', '--baseline', join(dir, 'b2')], art);
  t.equal(slow.exitCode, 1, `the slower boot fails the baseline:\n${slow.all}`);
  // The 5 s wait lands in the ipxe stage (prompt → "Loading ipxe.lkrn"); on a loaded host the guest-clock
  // samples can shift some of it into a neighbouring stage, so assert the flag and the size of the delay.
  t.match(slow.all, /\s+SLOWER/, 'a stage is flagged slower');
  const table = slow.all.slice(slow.all.indexOf('baseline /'));
  const deltas = [...table.matchAll(/^\S+\s+\d+\s+\d+\s+([+-]\d+)\s+\d+/gm)].map((m) => Number(m[1]));
  t.ok(deltas.filter((d) => d > 0).reduce((a, b) => a + b, 0) >= 4000, `the 5 s wait shows in the per-stage deltas (${deltas.join(', ')})`);

  const bad = await cli(['boot', 'dist/hypersolid-cloud.img', '--baseline', join(dir, 'nope.json')], art);
  t.equal(bad.exitCode, 2, 'a missing baseline file is an error');
  t.match(bad.all, /BASELINE/);
});
