import type { LedgerEntry } from '../events.ts';
import { html, fileHref, fmtSeconds, SafeHtml } from './html-escape.ts';

/** A lint finding as the report shows it (the lint module's own type is a superset). */
export interface LintFindingLike {
  severity: string;
  code: string;
  stage?: string | null;
  message: string;
  hint?: string | null;
}

export function ledgerTable(ledger: LedgerEntry[]): SafeHtml {
  if (!ledger.length) return html`<h2 id="ledger">HTTP ledger</h2><p class="empty">No HTTP requests reached the stub.</p>`;
  const rows = ledger.map(
    (e) => html`<tr><td class="num">${fmtSeconds(e.atMs)}</td><td>${e.method}</td><td class="mono">${e.url}</td>
<td class="num">${e.status}</td><td class="num">${e.bytes}</td><td>${e.refused ? `refused: ${e.refused}` : (e.route ?? '(no route)')}</td>
<td><details><summary>${Object.keys(e.headers).length} headers</summary><ul>${Object.entries(e.headers).map(
      ([k, v]) => html`<li class="mono">${k}: ${v}</li>`,
    )}</ul></details></td></tr>`,
  );
  return html`<h2 id="ledger">HTTP ledger (${ledger.length} requests)</h2>
<table class="grid"><thead><tr><th>time</th><th>method</th><th>url</th><th>status</th><th>bytes</th><th>route</th><th>headers</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function lintTable(lint: { findings: LintFindingLike[] } | null | undefined): SafeHtml {
  if (!lint) return html``;
  if (!lint.findings.length) return html`<h2 id="lint">Lint findings</h2><p class="empty">No findings.</p>`;
  const rows = lint.findings.map(
    (f) => html`<tr class="finding" data-code="${f.code}"><td class="sev-${f.severity}">${f.severity}</td><td class="mono">${f.code}</td>
<td class="mono">${f.stage ?? ''}</td><td>${f.message}</td><td>${f.hint ?? ''}</td></tr>`,
  );
  return html`<h2 id="lint">Lint findings (${lint.findings.length})</h2>
<table class="grid"><thead><tr><th>severity</th><th>code</th><th>stage</th><th>message</th><th>hint</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function screenshotsSection(shots: Array<{ label: string; file: string }>): SafeHtml {
  if (!shots.length) return html``;
  return html`<h2 id="screenshots">Screen</h2><div class="shots">${shots.map(
    (s) => html`<figure><img src="${new SafeHtml(fileHref(s.file))}" alt="VGA screen: ${s.label}"><figcaption>${s.label} — ${s.file}</figcaption></figure>`,
  )}</div>`;
}

export function notesSection(notes: string[]): SafeHtml {
  if (!notes.length) return html``;
  return html`<h2 id="notes">Notes</h2><ul>${notes.map((n) => html`<li>${n}</li>`)}</ul>`;
}
