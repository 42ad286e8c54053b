import type { FailureInfo, StageResult } from './ladder.ts';

const MARK: Record<StageResult['status'], string> = { passed: 'ok  ', failed: 'FAIL', 'not-reached': '--  ' };

/** A plain-text table of the stages (id, status, time, evidence) plus the failure, for terminals and test output. */
export function formatStageTable(stages: readonly StageResult[], failure: FailureInfo | null): string {
  const idW = Math.max(5, ...stages.map((s) => s.id.length));
  const rows = [`${'stage'.padEnd(idW)}  st    time ms  evidence`];
  for (const s of stages) {
    const time = s.atMs === null ? '' : String(s.atMs);
    const [first = '', ...rest] = s.evidence;
    rows.push(`${s.id.padEnd(idW)}  ${MARK[s.status]}  ${time.padStart(7)}  ${first}`);
    for (const e of rest) rows.push(`${''.padEnd(idW)}              ${e}`);
  }
  if (failure) {
    rows.push('', `failed at ${failure.stage}: [${failure.code}] ${failure.message}`);
    if (failure.hint) rows.push(`hint: ${failure.hint}`);
  }
  return rows.join('\n');
}
