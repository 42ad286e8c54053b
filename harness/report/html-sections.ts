import type { ConsoleLineEvent } from '../events.ts';
import type { BootReport } from './json-report.ts';
import { computeStageBars, stageTitle } from './stage-bars.ts';
import { html, fmtSeconds, type SafeHtml } from './html-escape.ts';

/** Lines beyond this are left out of the page (console.txt keeps them all). */
export const MAX_CONSOLE_LINES = 20_000;

export function failureBox(report: BootReport): SafeHtml {
  const f = report.failure;
  if (!f) return html``;
  return html`<section class="failure" id="failure" data-code="${f.code}" data-stage="${f.stage}">
<h2>Failed at stage <span class="mono">${f.stage}</span> — ${stageTitle(f.stage)}</h2>
<dl><dt>code</dt><dd class="mono" id="failure-code">${f.code}</dd>
<dt>message</dt><dd>${f.message}</dd>
<dt>hint</dt><dd>${f.hint}</dd>
<dt>ended by</dt><dd>${report.endedBy}</dd></dl>
</section>`;
}

export function stageTimeline(report: BootReport, consoleEndMs: number): SafeHtml {
  const { bars, totalMs } = computeStageBars(report, consoleEndMs);
  const rows = bars.map(
    (b) => html`<tr class="stage" id="stage-${b.id}" data-stage="${b.id}" data-status="${b.status}">
<td class="id">${b.id}</td>
<td class="status ${b.status}">${b.status}</td>
<td class="time" title="guest ${fmtSeconds(b.guestMs)}">${fmtSeconds(b.atMs)}</td>
<td style="width:55%"><div class="track" title="${fmtSeconds(b.startMs)} → ${fmtSeconds(b.endMs)}"><div class="bar ${b.status}" style="left:${b.leftPct.toFixed(3)}%;width:${b.widthPct.toFixed(3)}%"></div></div>
<details><summary>${b.title}${b.evidence.length ? ` (${b.evidence.length} evidence)` : ''}</summary>${
      b.evidence.length ? html`<ul>${b.evidence.map((e) => html`<li class="mono">${e}</li>`)}</ul>` : html`<span class="empty">no evidence</span>`
    }</details></td></tr>`,
  );
  return html`<h2 id="ladder">Stage ladder</h2>
<table class="ladder"><tbody>${rows}</tbody>
<tfoot><tr><td colspan="3"></td><td><div class="axis"><span>0 s</span><span>${fmtSeconds(totalMs / 2)}</span><span>${fmtSeconds(totalMs)}</span></div></td></tr></tfoot></table>`;
}

/** The console, each line prefixed with its time, with a mark after the line where each stage passed or failed. */
export function consoleSection(report: BootReport, lines: ConsoleLineEvent[]): SafeHtml {
  const omitted = Math.max(0, lines.length - MAX_CONSOLE_LINES);
  const shown = omitted ? lines.slice(omitted) : lines;
  const marks = report.stages
    .filter((s) => s.status !== 'not-reached' && s.atMs !== null)
    .map((s) => ({ id: s.id, status: s.status, atMs: s.atMs as number }))
    .sort((a, b) => a.atMs - b.atMs);
  let m = 0;
  const out: SafeHtml[] = [];
  const markHtml = (k: (typeof marks)[number]): SafeHtml =>
    html`<span class="mark ${k.status}" data-stage="${k.id}">▶ ${k.id} ${k.status} at ${fmtSeconds(k.atMs)} — ${stageTitle(k.id)}</span>`;
  for (const line of shown) {
    while (m < marks.length && marks[m]!.atMs < line.atMs) out.push(markHtml(marks[m++]!));
    out.push(
      html`<span class="${line.partial ? 'line partial' : 'line'}"><span class="t">[${(line.atMs / 1000).toFixed(3).padStart(8)}] </span>${line.text}${line.partial ? '⏎?' : ''}</span>\n`,
    );
  }
  while (m < marks.length) out.push(markHtml(marks[m++]!));
  return html`<h2 id="console">Console (${lines.length} lines)</h2>
${omitted ? html`<p class="empty">${omitted} earlier lines left out; console.txt has them all.</p>` : ''}
${shown.length ? html`<pre class="console">${out}</pre>` : html`<p class="empty">The guest printed nothing on the serial console.</p>`}`;
}
