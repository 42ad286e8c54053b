import type { StageStatus } from '../stages/ladder.ts';
import { stageTitle } from '../stages/tracker.ts';
import type { BootReport } from './json-report.ts';

/** One row of the report's stage timeline, in percent of the run's length. */
export interface StageBar {
  id: string;
  title: string;
  status: StageStatus;
  startMs: number;
  endMs: number;
  leftPct: number;
  widthPct: number;
  atMs: number | null;
  guestMs: number | null;
  evidence: string[];
}

/** One title table for every chain's stages (the tracker's): the report shows what the table shows. */
export { stageTitle };

/**
 * Lays the ladder out on one time axis: each stage runs from the previous stage's pass time to its
 * own; a failed stage without a time runs to the end; stages never reached fill the rest in grey.
 */
export function computeStageBars(report: BootReport, extraEndMs = 0): { bars: StageBar[]; totalMs: number } {
  const times = report.stages.map((s) => s.atMs ?? 0);
  const totalMs = Math.max(1, report.wallMs || 0, extraEndMs, ...times);
  const pct = (ms: number): number => Math.min(100, Math.max(0, (ms / totalMs) * 100));
  let prev = 0;
  const bars = report.stages.map((s): StageBar => {
    const start = prev;
    let end: number;
    if (s.status === 'not-reached') end = totalMs;
    else end = s.atMs ?? (s.status === 'failed' ? totalMs : start);
    if (end < start) end = start;
    if (s.status === 'passed' && s.atMs !== null) prev = Math.max(prev, s.atMs);
    if (s.status === 'failed') prev = end;
    const leftPct = pct(start);
    return {
      id: s.id,
      title: stageTitle(s.id),
      status: s.status,
      startMs: start,
      endMs: end,
      leftPct,
      widthPct: Math.max(0, pct(end) - leftPct),
      atMs: s.atMs,
      guestMs: s.guestMs,
      evidence: s.evidence,
    };
  });
  return { bars, totalMs };
}
