import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { copyWithZeroed, DEFAULT_IMG, DEFAULT_MAP, ensureDefaultImage, makeTemp, mapRegion, ROOT, rmTemp, runCli } from './fixtures/cli-run.ts';

/** The other user-facing entries: `npm test`'s run-tests.js, `run`, `list`, `lint`, `repro`. */

const work = makeTemp('run-entry');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');
const scenarioNames = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

t.before(() => ensureDefaultImage(artifacts));

t.test('run-tests.js --scenario nope: exit 2, lists every valid name', async (t) => {
  const r = await execa(process.execPath, [join(ROOT, 'bin', 'run-tests.js'), '--scenario', 'nope'], { cwd: ROOT, reject: false, all: true, timeout: 60_000 });
  t.equal(r.exitCode, 2, `exit 2 (${r.all})`);
  t.match(r.stderr, /unknown scenario "nope"/, 'names the unknown scenario');
  for (const n of scenarioNames) t.match(r.stderr, new RegExp(`^\\s+${n}$`, 'm'), `lists ${n}`);
  t.notMatch(r.all, /# Subtest|TAP version/, 'tap was not started');
});

t.test('run-tests.js --scenario zeroed-vbr: TAP that tap-parser reads, one subtest with every stage; --reporter junit writes JUnit', async (t) => {
  const { Parser } = await import('tap-parser');
  const junit = join(work, 'one.junit.xml');
  const r = await execa(process.execPath, [join(ROOT, 'bin', 'run-tests.js'), '--scenario', 'zeroed-vbr', '--reporter', 'junit', '--reporter-file', junit], { cwd: ROOT, reject: false, all: true, env: { BOOTCHAIN_ARTIFACTS: artifacts }, timeout: 300_000 });
  t.equal(r.exitCode, 0, `exit 0:\n${r.all}`);
  const asserts: string[] = [];
  const result = await new Promise<{ ok: boolean; count: number; pass: number }>((res) => {
    const p = new Parser((x) => res(x));
    p.on('child', (c: InstanceType<typeof Parser>) => c.on('assert', (a: { ok: boolean; name: string }) => asserts.push(`${a.ok ? 'ok' : 'not ok'} ${a.name}`)));
    p.end(r.stdout);
  });
  t.match(result, { ok: true, count: 1, pass: 1 }, 'one passing test point: the scenario');
  for (const a of ['ok stage bios passed', 'ok stage gpt passed', 'ok stage vbr failed', 'ok failure code GPTMBR_MISSING_OS', 'ok lint reports LINT_VBR_NO_SIGNATURE before the boot', 'ok every scenario expectation holds']) t.ok(asserts.includes(a), a);
  t.match(r.stderr, /^\s*vbr\s+FAIL\b/m, 'the stage table on stderr');
  const { consumeJUnit } = await import('../fixtures/junit-consumer.ts');
  const [suite] = await consumeJUnit(junit);
  t.match(suite, { tests: 1, failures: 0, errors: 0 });
  t.equal(suite!.cases[0]!.name, 'zeroed-vbr');
});

t.test('bootchain list: every file in scenarios/', async (t) => {
  const r = await runCli(['list'], { artifacts });
  t.equal(r.exitCode, 0, r.all);
  const lines = r.stdout.split('\n').filter(Boolean);
  const listed = lines.filter((l) => !l.startsWith(' ')).map((l) => l.split(/\s+/)[0]).sort();
  t.same(listed, scenarioNames, 'one line per scenario file');
  // A matrix scenario's cells follow it, indented: scenario[axis=value,…].
  t.ok(lines.filter((l) => l.startsWith(' ')).every((l) => /^\s+[\w-]+\[[\w=,.-]+\]/.test(l)), 'the other lines are matrix cells');
});

t.test('bootchain run --scenario zeroed-vbr: the expected failure is a pass, with the stage table', async (t) => {
  const r = await runCli(['run', '--scenario', 'zeroed-vbr'], { artifacts });
  t.equal(r.exitCode, 0, `exit 0:\n${r.all}`);
  t.match(r.all, /^\s*bios\s+ok\b/m, 'stage table row: bios ok');
  t.match(r.all, /^\s*gpt\s+ok\b/m, 'stage table row: gpt ok');
  t.match(r.all, /^\s*vbr\s+FAIL\b/m, 'stage table row: vbr FAIL');
  t.match(r.all, /1 passed, 0 failed, 0 errored/, 'summary line');
});

t.test('bootchain run --scenario nope: exit 2 naming the valid scenarios', async (t) => {
  const r = await runCli(['run', '--scenario', 'nope'], { artifacts });
  t.equal(r.exitCode, 2, r.all);
  t.match(r.stderr, /nope/);
  t.match(r.stderr, /zeroed-vbr/, 'lists valid names');
});

t.test('bootchain lint: 0 on the good image, 1 with a LINT code on a zeroed MBR', async (t) => {
  const good = await runCli(['lint', DEFAULT_IMG], { artifacts });
  t.equal(good.exitCode, 0, good.all);
  t.match(good.stdout, /0 error\(s\)/);
  const mbr = mapRegion(DEFAULT_MAP, 'mbr');
  const bad = join(work, 'zeroed-mbr.img');
  await copyWithZeroed(DEFAULT_IMG, bad, mbr.start, 440); // the boot code, keeping the partition table and 55AA
  const r = await runCli(['lint', bad], { artifacts });
  t.equal(r.exitCode, 1, r.all);
  t.match(r.stdout, /^error\s+LINT_[A-Z_]+ \[mbr\]/m, 'an error finding with a LINT_ code at the mbr stage');
  const missing = await runCli(['lint', join(work, 'nope.img')], { artifacts });
  t.equal(missing.exitCode, 2, `missing image: exit 2 (${missing.all})`);
  t.equal(missing.stdout, '', 'missing image: nothing on stdout');
});

t.test('bootchain repro on the repro.tar.gz of a failed boot: exit 0 "reproduced"', async (t) => {
  const vbr = mapRegion(DEFAULT_MAP, 'vbr');
  const img = join(work, 'zeroed-vbr.img');
  await copyWithZeroed(DEFAULT_IMG, img, vbr.start, vbr.end);
  const boot = await runCli(['boot', img, '--json'], { artifacts });
  t.equal(boot.exitCode, 1, `the boot failed (${boot.stderr})`);
  const report = JSON.parse(boot.stdout) as { artifacts: string; failure: { code: string; stage: string } | null };
  const bundle = join(report.artifacts, 'repro.tar.gz');
  t.ok(existsSync(bundle), 'repro.tar.gz written for the failed run');
  const r = await runCli(['repro', bundle], { artifacts });
  t.equal(r.exitCode, 0, `exit 0:\n${r.all}`);
  t.match(r.stdout, /^reproduced: /m, 'says reproduced');
  t.match(r.stdout, new RegExp(`${report.failure?.code} at ${report.failure?.stage}`), 'names the same failure');
  // The bundle must carry the image: repro works after the original is gone.
  await execa('rm', ['-f', img]);
  const again = await runCli(['repro', bundle], { artifacts });
  t.equal(again.exitCode, 0, `still reproduced without the original image:\n${again.all}`);
});
