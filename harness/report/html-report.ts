import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConsoleLineEvent } from '../events.ts';
import type { BootReport } from './json-report.ts';
import { html, fmtSeconds } from './html-escape.ts';
import { REPORT_CSS } from './html-style.ts';
import { consoleSection, failureBox, stageTimeline } from './html-sections.ts';
import { ledgerTable, lintTable, notesSection, screenshotsSection, type LintFindingLike } from './html-tables.ts';

export interface HtmlReportInput {
  report: BootReport;
  consoleLines: ConsoleLineEvent[];
  /** Defaults to the report's own `lint`; null hides the section. */
  lint?: { findings: LintFindingLike[] } | null;
  /** `file` is the basename of a PNG in the same folder as report.html. */
  screenshots: Array<{ label: string; file: string }>;
  title?: string;
}

/** One self-contained HTML page (inline CSS, no scripts, no external resources) for one boot. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const r = input.report;
  const title = input.title ?? `bootchain: ${r.scenario ?? r.image}`;
  const lastLineMs = input.consoleLines.reduce((m, l) => Math.max(m, l.atMs), 0);
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'">
<title>${title}</title><style>${REPORT_CSS}</style></head>
<body data-verdict="${r.verdict}">
<h1>${title} <span class="verdict ${r.verdict}" id="verdict">${r.verdict}</span></h1>
<p class="meta"><span>image: <span class="mono">${r.image}</span></span>${r.scenario ? html`<span>scenario: ${r.scenario}</span>` : ''}<span>ended by: ${r.endedBy}</span><span>wall: ${fmtSeconds(r.wallMs)}</span><span>artifacts: <span class="mono">${r.artifacts}</span></span></p>
${failureBox(r)}
${stageTimeline(r, lastLineMs)}
${screenshotsSection(input.screenshots)}
${consoleSection(r, input.consoleLines)}
${ledgerTable(r.ledger)}
${lintTable(input.lint !== undefined ? input.lint : { findings: r.lint ?? [] })}
${notesSection(r.notes)}
</body></html>
`;
  return page.html;
}

/** Writes `report.html` into `dir` and returns its path. */
export async function writeHtmlReport(dir: string, input: HtmlReportInput): Promise<string> {
  const file = join(dir, 'report.html');
  await writeFile(file, renderHtmlReport(input));
  return file;
}

/** Console lines from a run's timeline.json events. */
export function consoleLinesOf(events: Array<{ kind: string }>): ConsoleLineEvent[] {
  return events.filter((e): e is ConsoleLineEvent => e.kind === 'console');
}
