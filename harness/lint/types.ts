import type { StageId } from '../stages/ladder.ts';

export type LintSeverity = 'error' | 'warning' | 'info';

/** One static finding about an image: which ladder stage it would break and what to do. */
export interface LintFinding {
  severity: LintSeverity;
  /** Stable code, e.g. LINT_NO_BOOTABLE_PARTITION. */
  code: string;
  stage: StageId;
  /** Names the partition, file or line. */
  message: string;
  hint: string;
}

export interface LintReport {
  image: string;
  findings: LintFinding[];
  ms: number;
}

export const finding = (severity: LintSeverity, code: string, stage: StageId, message: string, hint: string): LintFinding => ({ severity, code, stage, message, hint });
