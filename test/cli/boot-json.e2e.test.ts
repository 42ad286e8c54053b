import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { STAGE_IDS } from '../../harness/stages/ladder.ts';

/** The default run goes to chain: the 11 firmware stages (kernel and init only when asked). */
const TO_CHAIN = STAGE_IDS.slice(0, STAGE_IDS.indexOf('chain') + 1);
import { consoleTail, copyWithZeroed, DEFAULT_GZ, DEFAULT_IMG, DEFAULT_MAP, ensureDefaultImage, makeTemp, mapRegion, rmTemp, runCli, type CliResult } from './fixtures/cli-run.ts';

/** End to end: `bootchain boot IMAGE --json` spawned as a user would, checked against the README's report shape. */

const ARTIFACT_FILES = ['serial.raw', 'console.txt', 'timeline.json', 'ledger.json', 'qemu-cmdline.txt', 'qemu-stderr.txt', 'block-trace.txt', 'report.json', 'report.html'];

interface Report {
  verdict: string;
  stages: Array<{ id: string; status: string; atMs: number | null; evidence: string[] }>;
  failure: { stage: string; code: string; message: string; hint: string } | null;
  ledger: Array<{ path: string; status: number; method: string }>;
  artifacts: string;
  image: string;
  endedBy: string;
}

const work = makeTemp('boot-json');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');

/** One JSON document on stdout, or a failed assertion that shows what was printed. */
function parseReport(t: Test, r: CliResult): Report {
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch (e) {
    t.fail(`stdout is not one JSON document (${(e as Error).message}):\n${r.all}`);
    throw e;
  }
  return report;
}

function describe(r: CliResult, report: Report | undefined): string {
  const table = report?.stages.map((s) => `${s.id.padEnd(12)} ${s.status.padEnd(12)} ${s.evidence[0] ?? ''}`).join('\n') ?? '';
  return `exit ${r.exitCode}; stderr:\n${r.stderr}\nstages:\n${table}\nconsole tail:\n${consoleTail(report?.artifacts)}`;
}

function checkPassingReport(t: Test, r: CliResult, image: string, stages: readonly string[]): Report {
  const report = parseReport(t, r);
  const why = describe(r, report);
  t.equal(r.exitCode, 0, `exit 0 — ${why}`);
  t.equal(report.verdict, 'pass', 'verdict pass');
  t.same(report.stages.map((s) => s.id), stages, 'the ladder ids in order');
  for (const s of report.stages) {
    t.equal(s.status, 'passed', `${s.id} passed`);
    t.type(s.atMs, 'number', `${s.id} has atMs`);
    t.ok(Array.isArray(s.evidence) && s.evidence.length > 0, `${s.id} has evidence`);
  }
  t.equal(report.failure, null, 'failure null');
  t.equal(report.image, image, 'image is the absolute input path');
  t.ok(report.ledger.some((l) => l.method === 'GET' && l.path === '/boot.ipxe' && l.status === 200), `ledger holds the DHCP-filename request: ${JSON.stringify(report.ledger)}`);
  t.ok(report.artifacts.startsWith(artifacts), `artifacts under BOOTCHAIN_ARTIFACTS (${report.artifacts})`);
  t.ok(existsSync(report.artifacts) && statSync(report.artifacts).isDirectory(), 'artifacts dir exists');
  const files = existsSync(report.artifacts) ? readdirSync(report.artifacts) : [];
  for (const f of ARTIFACT_FILES) t.ok(files.includes(f), `artifacts hold ${f} (have: ${files.join(', ')})`);
  t.ok(statSync(join(report.artifacts, 'serial.raw')).size > 0, 'serial.raw is not empty');
  return report;
}

t.before(() => ensureDefaultImage(artifacts));

t.test('boot IMG --json: one JSON report, every stage passed, exit 0', async (t) => {
  const r = await runCli(['boot', DEFAULT_IMG, '--json'], { artifacts });
  checkPassingReport(t, r, DEFAULT_IMG, TO_CHAIN);
  t.equal(r.stdout.trim().split('\n')[0], '{', 'stdout starts with the JSON document');
});

t.test('boot boot.img.gz --json: the gzip image boots the same way', async (t) => {
  const r = await runCli(['boot', DEFAULT_GZ, '--json'], { artifacts });
  checkPassingReport(t, r, DEFAULT_GZ, TO_CHAIN);
});

t.test('--expect network: pass without requiring the chain stage', async (t) => {
  const r = await runCli(['boot', DEFAULT_IMG, '--json', '--expect', 'network'], { artifacts });
  const report = parseReport(t, r);
  t.equal(r.exitCode, 0, `exit 0 — ${describe(r, report)}`);
  t.equal(report.verdict, 'pass');
  const upTo = STAGE_IDS.slice(0, STAGE_IDS.indexOf('network') + 1);
  for (const id of upTo) t.equal(report.stages.find((s) => s.id === id)?.status, 'passed', `${id} passed`);
  const chain = report.stages.find((s) => s.id === 'chain');
  t.ok(!chain || chain.status !== 'failed', `chain is not required (got ${chain?.status ?? 'absent'})`);
  t.match(report.endedBy, /network/, 'ended at the network stage');
});

t.test('a zeroed VBR: exit 1 and a failure object naming the vbr stage', async (t) => {
  const vbr = mapRegion(DEFAULT_MAP, 'vbr');
  const img = join(work, 'zeroed-vbr.img');
  await copyWithZeroed(DEFAULT_IMG, img, vbr.start, vbr.end);
  const r = await runCli(['boot', img, '--json'], { artifacts });
  const report = parseReport(t, r);
  const why = describe(r, report);
  t.equal(r.exitCode, 1, `exit 1 — ${why}`);
  t.equal(report.verdict, 'fail');
  t.ok(report.failure, 'failure object');
  t.match(report.failure, { stage: 'vbr', code: String, message: String, hint: String }, 'failure names the vbr stage');
  for (const id of ['bios', 'mbr', 'gpt']) t.equal(report.stages.find((s) => s.id === id)?.status, 'passed', `${id} passed`);
  t.equal(report.stages.find((s) => s.id === 'vbr')?.status, 'failed', 'vbr failed');
  t.equal(report.stages.find((s) => s.id === 'chain')?.status, 'not-reached', 'chain not reached');
  t.ok(existsSync(join(report.artifacts, 'repro.tar.gz')), 'a failed run writes repro.tar.gz');
});

t.test('bad input: exit 2, a clear message on stderr, nothing on stdout', async (t) => {
  const cases: Array<[string, string[], RegExp]> = [
    ['missing file', ['boot', join(work, 'no-such.img'), '--json'], /no-such\.img/],
    ['a directory', ['boot', work, '--json'], new RegExp(work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
    ['--expect nonsense', ['boot', DEFAULT_IMG, '--json', '--expect', 'nonsense'], /nonsense.*not a stage|stage.*nonsense/],
  ];
  for (const [name, args, message] of cases) {
    const before = existsSync(artifacts) ? readdirSync(artifacts).length : 0;
    const r = await runCli(args, { artifacts });
    t.equal(r.exitCode, 2, `${name}: exit 2 (${r.all})`);
    t.equal(r.stdout, '', `${name}: nothing on stdout`);
    t.match(r.stderr, /^error \[[A-Z_]+\]: /, `${name}: an error line with a code`);
    t.match(r.stderr, message, `${name}: the message names the input`);
    t.match(r.stderr, /hint: /, `${name}: a hint`);
    const after = existsSync(artifacts) ? readdirSync(artifacts).length : 0;
    t.equal(after, before, `${name}: no artifacts folder for a boot that never started`);
  }
});

t.test('--realtime boots without time warp', async (t) => {
  const r = await runCli(['boot', DEFAULT_IMG, '--json', '--realtime', '--expect', 'bios'], { artifacts });
  const report = parseReport(t, r);
  t.equal(r.exitCode, 0, `exit 0 — ${describe(r, report)}`);
  const cmdline = join(report.artifacts, 'qemu-cmdline.txt');
  t.notMatch(readFileSync(cmdline, 'utf8'), /-icount/, 'no -icount on the QEMU command line');
});
