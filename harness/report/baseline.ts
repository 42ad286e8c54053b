import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BootchainError } from '../errors.ts';
import type { BootReport } from './json-report.ts';

/**
 * Per-stage timing baselines: record a good run, then flag every stage that became slower. Stages
 * are compared by DURATION (time since the previous stage), so one slow stage does not flag all later ones.
 * Guest time is compared when both runs have it (repeatable under time warp), wall time otherwise.
 */

/** Measured under warp (shift 8, 10 runs): per-stage guest-duration spread up to ~2.1 s (stage boundaries are
 *  stamped from host arrival times; 25 ms of wall is ~1 s of guest), whole chain < 1 %. See the time-warp report. */
export const DEFAULT_TOLERANCE_MS = 2500;
export const DEFAULT_TOLERANCE_PCT = 10;

export type ClockMode = 'warp' | 'realtime';

export interface BaselineStage {
  id: string;
  status: string;
  atMs: number | null;
  guestMs: number | null;
}

export interface Baseline {
  kind: 'bootchain-baseline';
  version: 1;
  createdAt: string;
  scenario: string | null;
  image: string;
  imageSha256: string | null;
  mode: ClockMode;
  icountShift: number | null;
  wallMs: number;
  stages: BaselineStage[];
}

/** What the report does not say about the run (the session knows it). */
export interface BaselineMeta {
  icountShift: number | null;
  imageSha256?: string | null;
}

export interface CompareOptions {
  toleranceMs?: number;
  tolerancePct?: number;
}

export interface BaselineRow {
  stage: string;
  /** Stage duration in the baseline / now (ms); null when the stage did not pass in that run. */
  baselineMs: number | null;
  nowMs: number | null;
  deltaMs: number | null;
  /** Slowest duration still accepted. */
  limitMs: number | null;
  slower: boolean;
  /** Passed in the baseline, not now. */
  missing: boolean;
}

export interface BaselineComparison {
  ok: boolean;
  clock: 'guest' | 'wall';
  rows: BaselineRow[];
  /** Reasons the runs are not comparable or not alike (mode, shift, image), in words. */
  notes: string[];
}

export type BaselineSource = Pick<BootReport, 'stages' | 'scenario' | 'image' | 'wallMs'>;

export function toBaseline(report: BaselineSource, meta: BaselineMeta, now = new Date()): Baseline {
  return {
    kind: 'bootchain-baseline',
    version: 1,
    createdAt: now.toISOString(),
    scenario: report.scenario,
    image: report.image,
    imageSha256: meta.imageSha256 ?? null,
    mode: meta.icountShift === null ? 'realtime' : 'warp',
    icountShift: meta.icountShift,
    wallMs: report.wallMs,
    stages: report.stages.map((s) => ({ id: s.id, status: s.status, atMs: s.atMs, guestMs: s.guestMs })),
  };
}

/** Writes the baseline JSON of a report (per-stage guest and wall times, mode, shift, image hash). */
export async function writeBaseline(file: string, report: BaselineSource, meta: BaselineMeta): Promise<Baseline> {
  const b = toBaseline(report, meta);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(b, null, 2) + '\n');
  return b;
}

export async function readBaseline(file: string): Promise<Baseline> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new BootchainError('BASELINE_UNREADABLE', `Baseline ${file} cannot be read: ${e instanceof Error ? e.message : String(e)}`,
      'record one first from a passing run: bootchain boot IMAGE --write-baseline FILE (or run --write-baseline DIR)', { cause: e });
  }
  const b = data as Partial<Baseline>;
  if (b.kind !== 'bootchain-baseline' || b.version !== 1 || !Array.isArray(b.stages))
    throw new BootchainError('BASELINE_INVALID', `Baseline ${file}: not a bootchain baseline (kind/version/stages)`,
      'record it again with this version of bootchain');
  return b as Baseline;
}

type Timed = { id: string; status: string; atMs: number | null; guestMs: number | null };

/**
 * Duration of each passed stage: its time minus the latest time of any earlier stage (a running max:
 * stages that pass on the same evidence, or slightly out of order, get 0 instead of a negative value).
 */
export function stageDurations(stages: readonly Timed[], clock: 'guest' | 'wall'): Map<string, number> {
  const out = new Map<string, number>();
  let end = 0;
  for (const s of stages) {
    const t = clock === 'guest' ? s.guestMs : s.atMs;
    if (s.status !== 'passed' || t === null) continue;
    const next = Math.max(end, t);
    out.set(s.id, next - end);
    end = next;
  }
  return out;
}

const hasGuest = (stages: readonly Timed[]): boolean => stages.some((s) => s.status === 'passed') &&
  stages.every((s) => s.status !== 'passed' || s.guestMs !== null);

/** Compares a run with its baseline, stage by stage; `ok` is false when any stage is slower or missing. */
export function compareWithBaseline(report: Pick<BootReport, 'stages'>, baseline: Baseline, o: CompareOptions & { icountShift?: number | null } = {}): BaselineComparison {
  const tolMs = o.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  const tolPct = o.tolerancePct ?? DEFAULT_TOLERANCE_PCT;
  if (!(tolMs >= 0) || !(tolPct >= 0))
    throw new BootchainError('BASELINE_TOLERANCE_INVALID', `Baseline tolerance must be non-negative, got ${tolMs} ms / ${tolPct} %`);
  const clock = hasGuest(report.stages) && hasGuest(baseline.stages) ? 'guest' : 'wall';
  const notes: string[] = [];
  if (o.icountShift !== undefined && o.icountShift !== baseline.icountShift)
    notes.push(`baseline was recorded with ${describeMode(baseline.icountShift)}, this run used ${describeMode(o.icountShift)}: guest times are not comparable across shifts`);
  if (clock === 'wall') notes.push('compared wall time (guest time missing in one of the runs): expect noise from host load');
  const before = stageDurations(baseline.stages, clock);
  const now = stageDurations(report.stages, clock);
  const ids = [...baseline.stages.map((s) => s.id), ...report.stages.map((s) => s.id).filter((id) => !baseline.stages.some((b) => b.id === id))];
  // Two views of "slower": a stage's own duration over its limit, and the run's cumulative delay (since the
  // last flagged stage) over max(ms, pct of the baseline's elapsed time there). The second is robust when a
  // big jump of guest time (a skipped idle wait) gets stamped partly on neighbouring stages.
  let cumDelta = 0;
  let cumBase = 0;
  let anchor = 0;
  const rows: BaselineRow[] = ids.map((stage) => {
    const b = before.get(stage) ?? null;
    const n = now.get(stage) ?? null;
    const limit = b === null ? null : b + Math.max(tolMs, (b * tolPct) / 100);
    const missing = b !== null && n === null;
    let slower = limit !== null && n !== null && n > limit;
    if (b !== null && n !== null) {
      cumDelta += n - b;
      cumBase += b;
      if (cumDelta - anchor > Math.max(tolMs, (cumBase * tolPct) / 100)) slower = true;
      if (slower) anchor = cumDelta;
    }
    return { stage, baselineMs: b, nowMs: n, deltaMs: b !== null && n !== null ? n - b : null, limitMs: limit, slower, missing };
  });
  return { ok: rows.every((r) => !r.slower && !r.missing) && notes.every((n) => !n.includes('not comparable')), clock, rows, notes };
}

function describeMode(shift: number | null): string {
  return shift === null ? 'real time' : `warp (icount shift ${shift})`;
}

/** Plain-text table of a comparison, for terminals and test output. */
export function formatBaselineTable(c: BaselineComparison): string {
  const idW = Math.max(5, ...c.rows.map((r) => r.stage.length));
  const ms = (v: number | null, sign = false): string => (v === null ? '-' : `${sign && v > 0 ? '+' : ''}${Math.round(v)}`);
  const lines = [`${'stage'.padEnd(idW)}  ${`base ${c.clock} ms`.padStart(14)}  ${'now ms'.padStart(8)}  ${'delta'.padStart(7)}  ${'limit'.padStart(7)}`];
  for (const r of c.rows) {
    const flag = r.missing ? 'MISSING' : r.slower ? 'SLOWER' : '';
    lines.push(`${r.stage.padEnd(idW)}  ${ms(r.baselineMs).padStart(14)}  ${ms(r.nowMs).padStart(8)}  ${ms(r.deltaMs, true).padStart(7)}  ${ms(r.limitMs).padStart(7)}  ${flag}`.trimEnd());
  }
  for (const n of c.notes) lines.push(`note: ${n}`);
  lines.push(c.ok ? 'baseline: ok' : `baseline: ${c.rows.filter((r) => r.slower || r.missing).map((r) => r.stage).join(', ') || 'runs not comparable'}`);
  return lines.join('\n');
}
