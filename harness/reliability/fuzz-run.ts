import { closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../project-root.ts';
import type { DiskMap } from '../image/types.ts';
import { applyMutation, describeMutation, fuzzTargets, planMutations, type Mutation } from './fuzz-mutate.ts';

export interface FuzzOptions {
  image: string;
  map: DiskMap;
  seed: number;
  cases: number;
  /** Boots at once (each is one QEMU): 1 or 2 on a shared machine. */
  jobs: number;
  /** The boot's own --timeout (s); the watchdog allows this plus shutdown time before it calls the boot hung. */
  bootTimeoutS: number;
  workDir: string;
  /** Keep every case's image and artifacts (default: only the cases with a problem). */
  keep?: boolean;
  /** Only these case indexes of the seed's plan (to replay one). */
  only?: number[];
  onCase?: (r: FuzzCaseResult, done: number, total: number) => void;
  /** Ctrl-C: the running lint/boot get SIGINT (and clean up), no new case starts. */
  signal?: AbortSignal;
}

export interface CommandOutcome {
  exitCode: number | null;
  signal: string | null;
  ms: number;
  /** The watchdog had to kill it. */
  hung: boolean;
  stderrTail: string;
}

export interface FuzzCaseResult {
  index: number;
  target: string;
  stage: string;
  code: boolean;
  kind: Mutation['kind'];
  mutation: string;
  /** Bytes that really differ from the built image (0: the mutation hit bytes that were already that value). */
  changed: number;
  lint: CommandOutcome & { errors: string[] };
  boot: CommandOutcome & { verdict: string | null; failedStage: string | null; failureCode: string | null; endedBy: string | null; chainFetched: boolean; stageStatus: string | null };
  /** Crashes, hangs, overruns and unproven passes: each one is a bootchain defect. */
  problems: string[];
  /** Where the case's image and artifacts are (kept when there is a problem, or with keep). */
  dir: string | null;
}

/** Exit codes bootchain documents: anything else (or a signal) is a crash. */
const DOCUMENTED_EXITS = new Set([0, 1, 2]);
const STACK_RE = /\n\s+at (?:.+ \()?(?:file:|node:|\/)[^\n]*:\d+:\d+\)?/;
const LINT_WATCHDOG_MS = 30_000;
/** Beyond its own timeout a boot may take this long to close QEMU and write its artifacts. */
const BOOT_GRACE_MS = 20_000;

async function runCommand(args: string[], watchdogMs: number, signal?: AbortSignal): Promise<CommandOutcome & { stdout: string }> {
  const t0 = Date.now();
  const child = execa(process.execPath, [join(projectRoot(), 'bin', 'bootchain.js'), ...args], { cwd: projectRoot(), reject: false, timeout: watchdogMs, killSignal: 'SIGKILL', stdin: 'ignore' });
  // Interrupted: the child boot closes its own QEMU and network on SIGINT (the watchdog's SIGKILL is for hangs only).
  const onAbort = (): void => void child.kill('SIGINT');
  signal?.addEventListener('abort', onAbort, { once: true });
  const r = await child.finally(() => signal?.removeEventListener('abort', onAbort));
  return { exitCode: r.exitCode ?? null, signal: r.signal ?? null, ms: Date.now() - t0, hung: r.timedOut === true, stderrTail: String(r.stderr).slice(-2000), stdout: String(r.stdout) };
}

/** The defects a case shows (empty: bootchain behaved). Exported for the classifier's own tests. */
export function caseProblems(c: Pick<FuzzCaseResult, 'code' | 'changed' | 'lint' | 'boot' | 'stage'>, bootTimeoutS: number): string[] {
  const p: string[] = [];
  for (const [what, o] of [['lint', c.lint], ['boot', c.boot]] as const) {
    if (o.hung) p.push(`${what} hung: killed by the watchdog after ${o.ms} ms`);
    else if (o.signal) p.push(`${what} crashed: ended by ${o.signal}`);
    else if (o.exitCode === null || !DOCUMENTED_EXITS.has(o.exitCode)) p.push(`${what} crashed: exit ${o.exitCode}`);
    if (STACK_RE.test(o.stderrTail)) p.push(`${what} printed a stack trace: ${o.stderrTail.split('\n').slice(0, 3).join(' | ')}`);
  }
  if (!c.boot.hung && c.boot.ms > bootTimeoutS * 1000 + BOOT_GRACE_MS) p.push(`boot overran its --timeout ${bootTimeoutS}s: ${c.boot.ms} ms`);
  // No report is right only for bad input: exit 2 with bootchain's own error line (e.g. IMAGE_TOO_SMALL).
  if (c.boot.exitCode !== null && DOCUMENTED_EXITS.has(c.boot.exitCode) && c.boot.verdict === null && !(c.boot.exitCode === 2 && /error \[[A-Z_]+\]/.test(c.boot.stderrTail))) p.push('boot printed no JSON report and no error line');
  // A pass with changed code bytes is believable only when the boot really got through: the stub served the chained script.
  if (c.boot.verdict === 'pass' && c.code && c.changed > 0 && !c.boot.chainFetched) p.push(`pass with changed ${c.stage} code but the ledger shows no chained script fetched`);
  if (c.boot.verdict === 'pass' && c.boot.exitCode !== 0) p.push(`verdict pass but exit ${c.boot.exitCode}`);
  return p;
}

/** Runs the seed's plan: each case mutates a private copy of the image, then lints and boots it through the CLI. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzCaseResult[]> {
  const targets = fuzzTargets(o.map);
  if (targets.length === 0) throw new Error(`the disk map of ${o.image} has no boot-critical region to fuzz`);
  const plan = planMutations(targets, o.seed, o.cases).filter((m) => !o.only || o.only.includes(m.index));
  mkdirSync(o.workDir, { recursive: true });
  const results: FuzzCaseResult[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length && !o.signal?.aborted) {
      const m = plan[next++]!;
      const r = await runCase(m, o, targets.find((t) => t.name === m.target)!);
      results.push(r);
      o.onCase?.(r, ++done, plan.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs, plan.length)) }, worker));
  return results.sort((a, b) => a.index - b.index);
}

async function runCase(m: Mutation, o: FuzzOptions, target: ReturnType<typeof fuzzTargets>[number]): Promise<FuzzCaseResult> {
  const dir = join(o.workDir, `case-${String(m.index).padStart(4, '0')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const img = join(dir, 'fuzzed.img');
  copyFileSync(o.image, img);
  const fd = openSync(img, 'r+');
  let changed: number;
  try {
    changed = applyMutation(m, target, {
      read: (at, n) => {
        const b = Buffer.alloc(n);
        readSync(fd, b, 0, n, at);
        return b;
      },
      write: (at, b) => void writeSync(fd, b, 0, b.length, at),
      truncate: (size) => ftruncateSync(fd, size),
    });
  } finally {
    closeSync(fd);
  }
  const lintRun = await runCommand(['lint', img, '--json'], LINT_WATCHDOG_MS, o.signal);
  let lintErrors: string[] = [];
  try {
    lintErrors = (JSON.parse(lintRun.stdout) as { findings: Array<{ severity: string; code: string }> }).findings.filter((f) => f.severity === 'error').map((f) => f.code);
  } catch {
    // no JSON (bad input: exit 2 with a message): no findings
  }
  const bootRun = await runCommand(['boot', img, '--json', '--timeout', String(o.bootTimeoutS), '--artifacts', join(dir, 'artifacts')], o.bootTimeoutS * 1000 + BOOT_GRACE_MS + 10_000, o.signal);
  const report = parseReport(bootRun.stdout);
  const { stdout: _l, ...lint } = lintRun;
  const { stdout: _b, ...boot } = bootRun;
  const r: FuzzCaseResult = {
    index: m.index,
    target: m.target,
    stage: m.stage,
    code: m.code,
    kind: m.kind,
    mutation: describeMutation(m),
    changed,
    lint: { ...lint, errors: lintErrors },
    boot: {
      ...boot,
      verdict: report?.verdict ?? null,
      failedStage: report?.failure?.stage ?? null,
      failureCode: report?.failure?.code ?? (report ? null : (/error \[([A-Z_]+)\]/.exec(bootRun.stderrTail)?.[1] ?? null)),
      endedBy: report?.endedBy ?? null,
      chainFetched: (report?.ledger ?? []).some((e) => e.path === '/boot.ipxe' && e.status >= 200 && e.status < 300),
      stageStatus: report?.stages?.find((s) => s.id === m.stage)?.status ?? null,
    },
    problems: [],
    dir,
  };
  r.problems = caseProblems(r, o.bootTimeoutS);
  if (!o.keep && r.problems.length === 0) {
    rmSync(dir, { recursive: true, force: true });
    r.dir = null;
  }
  return r;
}

interface BootJson {
  verdict?: string;
  failure?: { stage: string; code: string } | null;
  endedBy?: string;
  ledger?: Array<{ path: string; status: number }>;
  stages?: Array<{ id: string; status: string }>;
}

function parseReport(stdout: string): BootJson | null {
  try {
    return JSON.parse(stdout) as BootJson;
  } catch {
    return null;
  }
}

/** The figures: counts by verdict and failed stage, and per region. */
export function fuzzTables(results: FuzzCaseResult[]): string {
  const count = new Map<string, number>();
  for (const r of results) {
    const key =
      r.boot.verdict === 'fail'
        ? `fail | ${r.boot.failedStage} | ${r.boot.failureCode}`
        : r.boot.verdict === null
          ? `bad input (exit ${r.boot.exitCode}) | – | ${r.boot.failureCode ?? '–'}`
          : `${r.boot.verdict} | ${r.boot.verdict === 'error' ? (r.boot.endedBy ?? '').split(':').slice(0, 2).join(':').slice(0, 60) : '–'} | –`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const byVerdict = [...count].sort((a, b) => b[1] - a[1]).map(([k, n]) => `| ${k} | ${n} |`);
  const regions = [...new Set(results.map((r) => r.target))];
  const byRegion = regions.map((t) => {
    const rs = results.filter((r) => r.target === t);
    const n = (f: (r: FuzzCaseResult) => boolean) => rs.filter(f).length;
    return `| ${t} | ${rs.length} | ${n((r) => r.boot.verdict === 'pass')} | ${n((r) => r.boot.verdict === 'fail')} | ${n((r) => r.boot.verdict === 'error')} | ${n((r) => r.boot.verdict === null)} | ${n((r) => r.lint.errors.length > 0)} | ${n((r) => r.problems.length > 0)} |`;
  });
  const crashes = results.filter((r) => r.problems.some((p) => /crash|stack trace/.test(p))).length;
  const hangs = results.filter((r) => r.problems.some((p) => /hung|overran/.test(p))).length;
  const falsePasses = results.filter((r) => r.problems.some((p) => /ledger shows no/.test(p))).length;
  return [
    `${results.length} cases: ${crashes} crash(es), ${hangs} hang(s)/overrun(s), ${falsePasses} unproven pass(es)`,
    '',
    '| verdict | failed stage / reason | code | cases |',
    '|---|---|---|---|',
    ...byVerdict.map((l) => l.replace(/^\| ([^|]+) \| ([^|]+) \| ([^|]+) \| (\d+) \|$/, '| $1 | $2 | $3 | $4 |')),
    '',
    '| region | cases | pass | fail | error | bad input | lint found errors | defects |',
    '|---|---|---|---|---|---|---|---|',
    ...byRegion,
  ].join('\n');
}
