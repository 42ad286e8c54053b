import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { registerCleanup, registerExitKill } from '../reaper.ts';
import type { LoadedScenario } from '../scenario/catalog.ts';
import { runScenario } from '../scenario/run-scenario.ts';

/** One run of one scenario, as the flake check compares it. */
export interface FlakeRun {
  scenario: string;
  hog: boolean;
  verdict: string;
  failedStage: string | null;
  code: string | null;
  /** The scenario's own expectations held. */
  ok: boolean;
  problems: string[];
  stages: Array<{ id: string; status: string; guestMs: number | null }>;
  wallMs: number;
}

export interface StageSpread {
  id: string;
  n: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
  spreadMs: number;
}

export interface FlakeSummary {
  scenario: string;
  runs: number;
  /** verdict|failed stage|code → how many runs gave it. Stable = exactly one. */
  outcomes: Record<string, number>;
  stable: boolean;
  /** Runs whose scenario expectations did not hold. */
  notOk: number;
  spread: StageSpread[];
}

export const outcomeOf = (r: Pick<FlakeRun, 'verdict' | 'failedStage' | 'code'>): string => `${r.verdict}|${r.failedStage ?? '-'}|${r.code ?? '-'}`;

/** Per-scenario verdict stability and each stage's guest-time spread over its runs. */
export function summarizeFlake(runs: FlakeRun[]): FlakeSummary[] {
  const names = [...new Set(runs.map((r) => r.scenario))];
  return names.map((scenario) => {
    const rs = runs.filter((r) => r.scenario === scenario);
    const outcomes: Record<string, number> = {};
    for (const r of rs) outcomes[outcomeOf(r)] = (outcomes[outcomeOf(r)] ?? 0) + 1;
    const ids = [...new Set(rs.flatMap((r) => r.stages.map((s) => s.id)))];
    const spread = ids.flatMap((id) => {
      const g = rs.flatMap((r) => r.stages.filter((s) => s.id === id && s.guestMs !== null).map((s) => s.guestMs!)).sort((a, b) => a - b);
      if (g.length === 0) return [];
      return [{ id, n: g.length, minMs: g[0]!, medianMs: g[Math.floor(g.length / 2)]!, maxMs: g.at(-1)!, spreadMs: g.at(-1)! - g[0]! }];
    });
    return { scenario, runs: rs.length, outcomes, stable: Object.keys(outcomes).length === 1, notOk: rs.filter((r) => !r.ok).length, spread };
  });
}

/** A busy loop on one core, owned here: killed when the hog phase ends, on Ctrl-C and at exit. */
export function startCpuHog(): { stop(): Promise<void> } {
  const child: ChildProcess = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const offExit = registerExitKill(kill);
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      kill();
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      offExit();
      offCleanup();
    })());
  const offCleanup = registerCleanup(stop);
  return { stop };
}

export interface FlakeOptions {
  scenarios: LoadedScenario[];
  runs: number;
  /** Also run each scenario `runs` times beside a CPU hog. */
  hog: boolean;
  /** Only the runs beside the CPU hog. */
  hogOnly?: boolean;
  /** Boots at a time (default 1). */
  jobs?: number;
  artifactsRoot: string;
  signal?: AbortSignal;
  onRun?: (r: FlakeRun, done: number, total: number) => void;
}

/**
 * Runs each scenario `runs` times (then again beside a CPU hog), `jobs` boots at a time (default 1; every
 * run is still its own boot). Each run's artifacts are removed unless its outcome differs from the scenario's
 * first run (kept to compare).
 */
export async function runFlake(o: FlakeOptions): Promise<FlakeRun[]> {
  const out: FlakeRun[] = [];
  const total = o.scenarios.length * o.runs * (o.hog && !o.hogOnly ? 2 : 1);
  const phases = o.hogOnly ? [true] : o.hog ? [false, true] : [false];
  const firstOutcome = new Map<string, string>();
  for (const hog of phases) {
    const h = hog ? startCpuHog() : null;
    try {
      // Round by round (every scenario once, then again): a check stopped early has the same count for each.
      const queue = Array.from({ length: o.runs }, () => o.scenarios).flat();
      const worker = async (): Promise<void> => {
        for (let s = queue.shift(); s && !o.signal?.aborted; s = queue.shift()) {
          const res = await runScenario(s, { artifactsRoot: o.artifactsRoot, ...(o.signal ? { signal: o.signal } : {}) });
          if (o.signal?.aborted) return;
          const r = res.result;
          const run: FlakeRun = {
            scenario: s.name,
            hog,
            verdict: r.verdict,
            failedStage: r.failure?.stage ?? null,
            code: r.failure?.code ?? null,
            ok: res.ok,
            problems: res.problems,
            stages: r.stages.map((st) => ({ id: st.id, status: st.status, guestMs: st.guestMs })),
            wallMs: r.wallMs,
          };
          if (!firstOutcome.has(s.name)) firstOutcome.set(s.name, outcomeOf(run));
          if (outcomeOf(run) === firstOutcome.get(s.name) && run.ok) await rm(r.artifactsDir, { recursive: true, force: true });
          out.push(run);
          o.onRun?.(run, out.length, total);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, o.jobs ?? 1) }, worker));
      if (o.signal?.aborted) return out;
    } finally {
      await h?.stop();
    }
  }
  return out;
}

/** The figures as markdown: one row per scenario (outcomes, expectation misses, the widest stage spreads). */
export function flakeTable(sums: FlakeSummary[]): string {
  const rows = sums.map((s) => {
    const widest = [...s.spread].sort((a, b) => b.spreadMs - a.spreadMs).slice(0, 3).map((x) => `${x.id} ${x.spreadMs.toFixed(1)}`).join(', ');
    const outcomes = Object.entries(s.outcomes).map(([k, n]) => `${k} ×${n}`).join('; ');
    return `| ${s.scenario} | ${s.runs} | ${s.stable ? 'yes' : '**NO**'} | ${outcomes} | ${s.notOk} | ${widest} |`;
  });
  return ['| scenario | runs | same outcome | verdict\\|stage\\|code × runs | expectation misses | widest guest-time spreads (ms) |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
