// A scenario run's summary (one entry per scenario cell, the stdout of `bootchain run --json`) and the two
// CI formats made from it: JUnit XML for the CI system's test view, and an HTML index linking each run's report.
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { html, fmtSeconds } from './html-escape.ts';
import { REPORT_CSS } from './html-style.ts';

/** One scenario cell's entry in a `bootchain run --json` summary. */
export interface RunSummaryEntry {
  scenario: string;
  ok: boolean;
  problems: string[];
  verdict: string;
  failure: { stage: string; code: string; message: string; hint: string } | null;
  artifacts: string;
  wallMs?: number;
  stages?: Array<{ id: string; status: string; guestMs: number | null }>;
}

// XML 1.0 allows neither C0 controls (but tab, LF, CR) nor lone surrogates nor U+FFFE/U+FFFF: a guest's console can print any of them.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const xml = (s: string): string => s.replace(NOT_XML, '\ufffd').replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
// In attributes, line breaks and tabs are normalised to spaces by every parser unless written as references.
const attr = (s: string): string => xml(s).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');

/**
 * JUnit XML: one testcase per scenario cell; each stage's status and guest time as a property; a failed
 * expectation as <failure> and a harness/host error as <error>, both with the failure's code (type),
 * stage and message, the hint in the body; the artifacts folder in system-out.
 */
export function toJUnit(entries: RunSummaryEntry[], name = 'bootchain'): string {
  const failures = entries.filter((e) => !e.ok && e.verdict !== 'error').length;
  const errors = entries.filter((e) => !e.ok && e.verdict === 'error').length;
  const secs = (ms?: number): string => ((ms ?? 0) / 1000).toFixed(3);
  const cases = entries.map((e) => {
    const props = [
      `        <property name="verdict" value="${attr(e.verdict)}"/>`,
      ...(e.stages ?? []).map((s) => `        <property name="stage.${attr(s.id)}" value="${attr(`${s.status}${s.guestMs === null ? '' : ` @${Math.round(s.guestMs)} ms guest`}`)}"/>`),
    ].join('\n');
    const why = e.failure ? `[${e.failure.code}] at ${e.failure.stage}: ${e.failure.message}` : e.problems.join('; ');
    const detail = [...e.problems, e.failure ? `hint: ${e.failure.hint}` : ''].filter(Boolean).join('\n');
    const body = e.ok
      ? ''
      : e.verdict === 'error'
        ? `      <error message="${attr(why)}" type="${attr(e.failure?.code ?? 'ERROR')}">${xml(detail)}</error>\n`
        : `      <failure message="${attr(why)}" type="${attr(e.failure?.code ?? 'EXPECTATION')}">${xml(detail)}</failure>\n`;
    return `    <testcase classname="${attr(name)}" name="${attr(e.scenario)}" time="${secs(e.wallMs)}">\n      <properties>\n${props}\n      </properties>\n${body}      <system-out>artifacts: ${xml(e.artifacts)}</system-out>\n    </testcase>`;
  });
  const total = entries.reduce((a, e) => a + (e.wallMs ?? 0), 0);
  const counts = `tests="${entries.length}" failures="${failures}" errors="${errors}" skipped="0" time="${secs(total)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${attr(name)}" ${counts}>\n  <testsuite name="${attr(name)}" ${counts}>\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

/**
 * Where each run's report.html is now: its recorded artifacts folder when that still exists, else a folder
 * of the same (unique) name under one of `searchRoots` — CI downloads the shards' artifacts elsewhere.
 */
export function locateReports(entries: RunSummaryEntry[], searchRoots: string[]): Map<RunSummaryEntry, string | null> {
  const byName = new Map<string, string>();
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    if (names.includes('report.html')) byName.set(basename(dir), join(dir, 'report.html'));
    if (depth === 0) return;
    for (const n of names) {
      const p = join(dir, n);
      try {
        if (statSync(p).isDirectory()) walk(p, depth - 1);
      } catch {}
    }
  };
  for (const r of searchRoots) walk(resolve(r), 5);
  const exists = (p: string): boolean => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  return new Map(entries.map((e) => {
    const own = join(e.artifacts, 'report.html');
    return [e, exists(own) ? own : (byName.get(basename(e.artifacts)) ?? null)];
  }));
}

/** One HTML page listing every scenario cell: verdict, failed stage, code, time, and a link to its report. */
export function renderRunIndex(entries: RunSummaryEntry[], reports: Map<RunSummaryEntry, string | null>, indexFile: string): string {
  const passed = entries.filter((e) => e.ok).length;
  const errored = entries.filter((e) => !e.ok && e.verdict === 'error').length;
  const failed = entries.length - passed - errored;
  const verdict = errored ? 'error' : failed ? 'fail' : 'pass';
  const href = (p: string): string => relative(dirname(resolve(indexFile)), p).split(sep).map(encodeURIComponent).join('/');
  const rows = entries.map((e) => {
    const report = reports.get(e) ?? null;
    const cls = e.ok ? 'pass' : e.verdict === 'error' ? 'error' : 'fail';
    return html`<tr class="${cls}"><td>${report ? html`<a href="${href(report)}">${e.scenario}</a>` : e.scenario}</td><td><span class="verdict ${cls}">${e.ok ? 'ok' : e.verdict}</span></td><td>${e.failure?.stage ?? ''}</td><td class="mono">${e.failure?.code ?? ''}</td><td>${fmtSeconds(e.wallMs ?? 0)}</td><td>${e.ok ? '' : [e.failure?.message ?? '', ...e.problems].filter(Boolean).join(' — ')}${report ? '' : html` <span class="mono">(report not found: ${e.artifacts})</span>`}</td></tr>`;
  });
  return `${html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>bootchain: ${entries.length} scenarios</title><style>${REPORT_CSS}</style></head>
<body data-verdict="${verdict}">
<h1>bootchain: ${entries.length} scenarios <span class="verdict ${verdict}" id="verdict">${verdict}</span></h1>
<p class="meta"><span>${passed} passed</span><span>${failed} failed</span><span>${errored} errored</span></p>
<table id="runs"><thead><tr><th>scenario</th><th>result</th><th>failed stage</th><th>code</th><th>wall</th><th>why</th></tr></thead>
<tbody>`}${rows.join('\n')}</tbody></table>
</body></html>
`;
}
