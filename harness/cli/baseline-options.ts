import { resolve } from 'node:path';
import { BootchainError } from '../errors.ts';
import { compareWithBaseline, formatBaselineTable, readBaseline, writeBaseline, DEFAULT_TOLERANCE_MS, DEFAULT_TOLERANCE_PCT } from '../report/baseline.ts';
import type { BootReport } from '../report/json-report.ts';
import type { CliIo } from './io.ts';

/** The flags `boot` and `run` share for timing baselines. */
export const BASELINE_FLAGS = {
  baseline: { type: 'string' },
  'write-baseline': { type: 'string' },
  'tolerance-ms': { type: 'string' },
  'tolerance-pct': { type: 'string' },
} as const;

export interface BaselineFlags {
  baseline?: string | undefined;
  'write-baseline'?: string | undefined;
  'tolerance-ms'?: string | undefined;
  'tolerance-pct'?: string | undefined;
}

function nonNegative(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!(n >= 0)) throw new BootchainError('USAGE', `--${flag} must be a non-negative number, got "${v}"`, `the default is ${dflt}`);
  return n;
}

/**
 * After a run: write its baseline and/or compare it with one. Returns false when a stage got slower than
 * the baseline allows (or is missing), so the command can exit 1. `fileFor` maps a flag value to the
 * file for this run (run: a folder with one file per scenario).
 */
export async function applyBaseline(f: BaselineFlags, report: BootReport, icountShift: number | null, io: CliIo, fileFor: (v: string) => string = (v) => resolve(v)): Promise<boolean> {
  const tolMs = nonNegative('tolerance-ms', f['tolerance-ms'], DEFAULT_TOLERANCE_MS);
  const tolPct = nonNegative('tolerance-pct', f['tolerance-pct'], DEFAULT_TOLERANCE_PCT);
  let ok = true;
  if (f.baseline) {
    const file = fileFor(f.baseline);
    const c = compareWithBaseline(report, await readBaseline(file), { toleranceMs: tolMs, tolerancePct: tolPct, icountShift });
    io.err(`baseline ${file}:\n${formatBaselineTable(c)}`);
    ok = c.ok;
  }
  if (f['write-baseline']) {
    if (report.verdict !== 'pass') throw new BootchainError('BASELINE_FROM_FAILED_RUN', `not writing a baseline from a run that did not pass (verdict ${report.verdict})`, 'record baselines from passing runs only');
    const file = fileFor(f['write-baseline']);
    await writeBaseline(file, report, { icountShift });
    io.err(`baseline written: ${file}`);
  }
  return ok;
}

/** Checks the baseline flags before a boot starts: a missing or broken baseline is bad input, not a late surprise. */
export async function preflightBaseline(f: BaselineFlags, fileFor: (v: string) => string = (v) => resolve(v)): Promise<void> {
  nonNegative('tolerance-ms', f['tolerance-ms'], DEFAULT_TOLERANCE_MS);
  nonNegative('tolerance-pct', f['tolerance-pct'], DEFAULT_TOLERANCE_PCT);
  if (f.baseline) await readBaseline(fileFor(f.baseline));
}
