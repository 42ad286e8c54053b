import type { FailureInfo, StageResult } from './ladder.ts';

const MARK: Record<StageResult['status'], string> = { passed: 'ok  ', implied: 'impl', skipped: 'skip', failed: 'FAIL', 'not-reached': '--  ' };

/** A plain-text table of the stages (id, status, time, evidence) plus the failure, for terminals and test output. */
export function formatStageTable(stages: readonly StageResult[], failure: FailureInfo | null): string {
  const idW = Math.max(5, ...stages.map((s) => s.id.length));
  // Guest time (the guest's own clock) appears when the run measured it, e.g. under time warp.
  const guest = stages.some((s) => s.guestMs !== null);
  const rows = [`${'stage'.padEnd(idW)}  st    wall ms${guest ? '  guest ms' : ''}  evidence`];
  const pad = ''.padEnd(idW + 2 + 4 + 2 + 7 + (guest ? 10 : 0) + 2);
  for (const s of stages) {
    const [first = '', ...rest] = s.evidence;
    rows.push(`${formatStageRow(s, idW, guest)}  ${first}`);
    for (const e of rest) rows.push(`${pad}${e}`);
  }
  if (failure) {
    rows.push('', `failed at ${failure.stage}: [${failure.code}] ${failure.message}`);
    if (failure.hint) rows.push(`hint: ${failure.hint}`);
  }
  return rows.join('\n');
}

/** One row's fixed columns (id, status, wall ms[, guest ms]) — shared by the table and live output. */
export function formatStageRow(s: Readonly<StageResult>, idW = 11, guest = s.guestMs !== null): string {
  const ms = (v: number | null) => (v === null ? '' : String(Math.round(v)));
  return `${s.id.padEnd(idW)}  ${MARK[s.status]}  ${ms(s.atMs).padStart(7)}${guest ? `  ${ms(s.guestMs).padStart(8)}` : ''}`;
}
