import t from 'tap';
import { escapeHtml, fileHref, html } from '../../harness/report/html-escape.ts';
import { renderHtmlReport } from '../../harness/report/html-report.ts';
import { computeStageBars } from '../../harness/report/stage-bars.ts';
import { STAGE_IDS } from '../../harness/stages/ladder.ts';
import { failedRunFixture } from './fixtures/failed-run.ts';

t.test('escapeHtml escapes markup, quotes, controls and lone surrogates', async (t) => {
  t.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  t.equal(escapeHtml('a\u0000b\u001bc\u007fd\te'), 'a\u2400b\u241bc\u2421d\te');
  t.equal(escapeHtml('x\ud800y'), 'x\ufffdy');
  t.equal(escapeHtml('ok \ud83d\ude00'), 'ok \ud83d\ude00', 'surrogate pairs survive');
  t.equal(escapeHtml(null), '');
  t.equal(escapeHtml(42), '42');
});

t.test('html`` escapes interpolations but not nested html``', async (t) => {
  const inner = html`<b>${'<i>'}</b>`;
  t.equal(html`<p title="${'"q"'}">${inner}${['<', '>']}${null}${false}</p>`.html, '<p title="&quot;q&quot;"><b>&lt;i&gt;</b>&lt;&gt;</p>');
});

t.test('fileHref keeps only the basename and percent-encodes it', async (t) => {
  t.equal(fileHref('../../etc/passwd'), 'passwd');
  t.equal(fileHref('javascript:alert(1).png'), 'javascript%3Aalert(1).png');
  t.equal(fileHref('a b"<.png'), 'a%20b%22%3C.png');
});

t.test('stage bars run from the previous pass to the own time; failed red to its time, not-reached grey', async (t) => {
  const { report } = failedRunFixture('/tmp/x');
  const { bars, totalMs } = computeStageBars(report);
  t.equal(totalMs, 1700);
  const by = Object.fromEntries(bars.map((b) => [b.id, b]));
  t.match(by.bios, { startMs: 0, endMs: 90, status: 'passed' });
  t.match(by.mbr, { startMs: 90, endMs: 120 });
  t.match(by.script, { startMs: 1070, endMs: 1500, status: 'failed' });
  t.match(by.network, { startMs: 1500, endMs: 1700, status: 'not-reached' });
  t.ok(Math.abs(by.script!.leftPct - (1070 / 1700) * 100) < 1e-9);
});

t.test('the rendered page escapes untrusted text and holds every section', async (t) => {
  const { report, consoleLines } = failedRunFixture('/tmp/art');
  const page = renderHtmlReport({
    report,
    consoleLines,
    lint: { findings: [{ severity: 'warning', code: 'LINT_<X>', stage: 'config', message: 'm <y>', hint: 'h' }] },
    screenshots: [{ label: 'at failure', file: 'screen-at_failure.png' }],
  });
  t.notMatch(page, /<script/i, 'no script element, not even from the console');
  t.notMatch(page, /<img src=x/i, 'console markup is escaped');
  t.match(page, '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
  t.notMatch(page, /https?:\/\//, 'no external resources');
  for (const id of STAGE_IDS) t.match(page, `id="stage-${id}"`, `stage ${id} has a row`);
  t.match(page, 'id="failure-code">IPXE_COMMAND_NOT_FOUND<');
  t.match(page, '<img src="screen-at_failure.png"');
  t.match(page, 'LINT_&lt;X&gt;');
  t.match(page, 'a note with &lt;b&gt;markup&lt;/b&gt;');
  t.match(page, '/boot.ipxe?serial=S&lt;1&gt;');
  // The script mark comes after the console line at 1490 ms and before the partial prompt at 1600 ms.
  const cmd = page.indexOf('command not found</span>');
  const mark = page.indexOf('class="mark failed" data-stage="script"');
  const prompt = page.indexOf('iPXE&gt; ');
  t.ok(cmd > 0 && mark > cmd && prompt > mark, `mark order: line ${cmd} < mark ${mark} < prompt ${prompt}`);
  t.equal((page.match(/class="mark /g) ?? []).length, 9, 'one mark per stage that passed or failed');
});

t.test('a passing run without failure, console or ledger still renders', async (t) => {
  const { report } = failedRunFixture('/tmp/art');
  const page = renderHtmlReport({
    report: { ...report, verdict: 'pass', failure: null, ledger: [], notes: [], stages: report.stages.map((s) => ({ ...s, status: 'passed', atMs: s.atMs ?? 1600 })) },
    consoleLines: [],
    screenshots: [],
    title: 'T & T',
  });
  t.notMatch(page, 'id="failure"');
  t.match(page, '<title>T &amp; T</title>');
  t.match(page, 'printed nothing');
  t.match(page, 'No HTTP requests');
  t.match(page, 'LINT_FIXTURE', "without a lint input the report's own findings are shown");
  t.notMatch(renderHtmlReport({ report, consoleLines: [], screenshots: [], lint: null }), 'id="lint"', 'lint: null hides the section');
});
