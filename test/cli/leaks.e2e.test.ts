import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { describeLeftovers, isClean, probeLeftovers, tempEntries, type Leftovers } from '../fixtures/leftovers.ts';
import { CLI, consoleTail, copyWithZeroed, DEFAULT_IMG, DEFAULT_MAP, ensureDefaultImage, makeTemp, ROOT, rmTemp } from './fixtures/cli-run.ts';
import { pollFor } from './fixtures/processes.ts';

/**
 * After a stage timeout and after every kind of failed `bootchain boot`, nothing of the run is left:
 * no QEMU (or other process) naming the image or the run's TMPDIR, no child of the CLI, no
 * bootchain-qemu-* dir. Each run gets a private TMPDIR so the before/after comparison is exact even
 * while other test files run in parallel.
 */

interface Report {
  stages: Array<{ id: string; status: string; evidence: string[] }>;
  failure: { stage: string; code: string; message: string } | null;
  artifacts: string;
}

const work = makeTemp('leaks');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');

/** What the tests read of a finished CLI run. */
interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  all: string;
}

function parse(r: CliResult): Report | undefined {
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    return undefined;
  }
}

function describeRun(r: CliResult, report: Report | undefined): string {
  const table = report?.stages.map((s) => `${s.id.padEnd(12)} ${s.status.padEnd(12)} ${s.evidence[0] ?? ''}`).join('\n') ?? '(no report)';
  return `exit ${r.exitCode}; stderr:\n${r.stderr.slice(-1500)}\nstages:\n${table}\nfailure: ${JSON.stringify(report?.failure)}\nconsole tail:\n${consoleTail(report?.artifacts)}`;
}

interface Run {
  r: CliResult;
  report: Report | undefined;
  why: string;
  /** What the probe saw while the CLI was running (only when asked to watch). */
  during: Leftovers | null;
  after: Leftovers;
}

/** Runs the CLI with a private TMPDIR; optionally watches until its QEMU and temp dir are visible mid-run. */
async function bootAndProbe(label: string, image: string, args: string[], watch: boolean): Promise<Run> {
  const tmpRoot = mkdtempSync(join(work, `tmp-${label}-`));
  const tmpBefore = tempEntries(tmpRoot);
  // As runCli does, but keeping the subprocess: its pid is what must have no children left.
  const proc = execa(process.execPath, [CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { BOOTCHAIN_ARTIFACTS: artifacts, TMPDIR: tmpRoot }, timeout: 60_000 });
  if (proc.pid === undefined) throw new Error(`could not spawn ${CLI}`);
  const pid = proc.pid;
  const probe = { needles: [image, tmpRoot], parents: [pid], tmpRoot, tmpBefore };
  let during: Leftovers | null = null;
  if (watch) {
    // The positive control on this very run: the probe must see its QEMU and its temp dir.
    during = await pollFor(() => {
      const l = probeLeftovers(probe);
      return l.processes.some((p) => p.args.includes('qemu-system')) && l.tempEntries.some((e) => e.startsWith('bootchain-qemu-')) ? l : null;
    }, 60_000, 10);
  }
  const done = await proc;
  const r: CliResult = { exitCode: done.exitCode, stdout: String(done.stdout), stderr: String(done.stderr), all: String(done.all) };
  const report = parse(r);
  return { r, report, why: describeRun(r, report), during, after: probeLeftovers(probe) };
}

function assertNothingLeft(t: Test, run: Run): void {
  t.ok(isClean(run.after), `nothing left behind:\n${describeLeftovers(run.after)}\n--- run ---\n${run.why}`);
}

t.before(async () => {
  await ensureDefaultImage(artifacts);
});

t.test('a boot that hangs at mbr (STAGE_TIMEOUT) leaves no QEMU, child or temp dir', async (t) => {
  const image = join(work, 'hang-mbr.img');
  await copyWithZeroed(DEFAULT_IMG, image, 0, 440);
  const run = await bootAndProbe('hang', image, ['boot', image, '--json'], true);
  t.ok(run.during, `while it ran, the probe saw its QEMU and its bootchain-qemu-* dir (else the clean result below proves nothing):\n${run.during ? describeLeftovers(run.during) : '(never seen)'}\n${run.why}`);
  t.equal(run.r.exitCode, 1, `exit 1 — ${run.why}`);
  t.equal(run.report?.failure?.stage, 'mbr', `failed at mbr — ${run.why}`);
  t.equal(run.report?.failure?.code, 'STAGE_TIMEOUT', `STAGE_TIMEOUT — ${run.why}`);
  assertNothingLeft(t, run);
});

t.test('a missing image (exit 2) leaves nothing', async (t) => {
  const image = join(work, 'does-not-exist.img');
  const run = await bootAndProbe('missing', image, ['boot', image, '--json'], false);
  t.equal(run.r.exitCode, 2, `exit 2 — ${run.why}`);
  t.match(run.r.all, /does not exist/, `says the image does not exist — ${run.why}`);
  assertNothingLeft(t, run);
});

t.test('a bad option (exit 2) leaves nothing', async (t) => {
  // A private copy: the image path is the probe's needle, and other test files boot the default image meanwhile.
  const image = join(work, 'badopt.img');
  copyFileSync(DEFAULT_IMG, image);
  const run = await bootAndProbe('badopt', image, ['boot', image, '--json', '--no-such-option'], false);
  t.equal(run.r.exitCode, 2, `exit 2 — ${run.why}`);
  t.match(run.r.all, /no-such-option/, `names the bad option — ${run.why}`);
  assertNothingLeft(t, run);
});

t.test('a boot that fails fast with a catalog error (corrupt ldlinux.sys) leaves nothing', async (t) => {
  const image = join(work, 'corrupt-ldlinux.img');
  copyFileSync(DEFAULT_IMG, image);
  // The recipe of scenarios/corrupt-ldlinux-sys.ts: bytes 2048..10240 of ldlinux.sys filled with 0xa5
  // (inside its first extent, so one write through the map is enough).
  const map = JSON.parse(readFileSync(DEFAULT_MAP, 'utf8')) as { regions: Array<{ name: string; ranges: Array<{ start: number; end: number }> }> };
  const first = map.regions.find((r) => r.name === '/extlinux/ldlinux.sys')?.ranges[0];
  if (!first || first.end - first.start < 10240) throw new Error(`unexpected ldlinux.sys extent in ${DEFAULT_MAP}: ${JSON.stringify(first)}`);
  const fd = openSync(image, 'r+');
  writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, first.start + 2048);
  closeSync(fd);
  const run = await bootAndProbe('ldlinux', image, ['boot', image, '--json'], true);
  t.ok(run.during, `while it ran, the probe saw its QEMU and temp dir:\n${run.during ? describeLeftovers(run.during) : '(never seen)'}\n${run.why}`);
  t.equal(run.r.exitCode, 1, `exit 1 — ${run.why}`);
  t.equal(run.report?.failure?.stage, 'ldlinux-sys', `failed at ldlinux-sys — ${run.why}`);
  t.equal(run.report?.failure?.code, 'SYSLINUX_LOAD_ERROR', `SYSLINUX_LOAD_ERROR — ${run.why}`);
  assertNothingLeft(t, run);
});
