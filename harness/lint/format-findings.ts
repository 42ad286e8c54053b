import type { LintReport, LintSeverity } from './types.ts';

const ORDER: Record<LintSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Terminal text for a lint report: one block per finding, errors first, then a summary line. */
export function formatLintFindings(report: LintReport): string {
  const sorted = [...report.findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  const lines = sorted.map((f) => `${f.severity.padEnd(7)} ${f.code} [${f.stage}]\n  ${f.message}${f.hint && f.hint !== 'none' ? `\n  hint: ${f.hint}` : ''}`);
  const count = (s: LintSeverity) => report.findings.filter((f) => f.severity === s).length;
  lines.push(`lint ${report.image}: ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info (${Math.round(report.ms)} ms)`);
  return lines.join('\n');
}
