import t, { type Test } from 'tap';
import { copyFile, open, readFile, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPORT_CSS } from '../../harness/report/html-style.ts';
import { CLI, DEFAULT_IMG, DEFAULT_MAP, ensureDefaultImage, ROOT } from '../cli/fixtures/cli-run.ts';
import { colourSpread, countColour, decodePng } from '../fixtures/png.ts';
import { Machine } from '../../harness/machine/index.ts';
import { captureScreenshot } from '../../harness/report/screenshot.ts';
import { writeHtmlReport } from '../../harness/report/html-report.ts';
import { STAGE_IDS } from '../../harness/stages/ladder.ts';
import { failedRunFixture, writeHaltImage } from './fixtures/failed-run.ts';
import { runChromium } from './fixtures/chromium.ts';

const PNG_MAGIC = '89504e470d0a1a0a';

/** The report's passed green and failed red, read from its stylesheet (the ladder bars, statuses, badge). */
const OK = /--ok:(#[0-9a-f]{6})/i.exec(REPORT_CSS)?.[1] ?? 'missing --ok';
const BAD = /--bad:(#[0-9a-f]{6})/i.exec(REPORT_CSS)?.[1] ?? 'missing --bad';
/** Enough solid pixels for a few ladder bars and status words, far more than stray anti-aliasing gives. */
const MIN_STATUS_PIXELS = 300;

interface PageJudgement {
  ok: boolean;
  why: string;
}

/** A rendered report shows the status colours in quantity and is not one flat colour; a blank or error page fails this. */
function judgePage(png: Buffer): PageJudgement {
  let img;
  try {
    img = decodePng(png);
  } catch (e) {
    return { ok: false, why: `undecodable PNG: ${(e as Error).message}` };
  }
  const green = countColour(img, OK);
  const red = countColour(img, BAD);
  const { dominantShare, distinct } = colourSpread(img);
  const ok = green >= MIN_STATUS_PIXELS && red >= MIN_STATUS_PIXELS && dominantShare < 0.98 && distinct >= 20;
  return { ok, why: `${img.width}x${img.height}, ${img.channels} channels: ${green} px of passed ${OK}, ${red} px of failed ${BAD} (need ≥ ${MIN_STATUS_PIXELS} each), most common colour ${(dominantShare * 100).toFixed(1)}% (need < 98%), ${distinct} distinct colours (need ≥ 20)` };
}

/** Renders `file` to a PNG with headless Chromium and judges it. */
async function screenshotAndJudge(t: Test, dir: string, file: string, name: string): Promise<PageJudgement> {
  const out = join(dir, `${name}.png`);
  const sh = await runChromium(dir, file, [`--screenshot=${out}`, '--window-size=1280,1600', '--hide-scrollbars']);
  t.equal(sh.exitCode, 0, `chromium --screenshot of ${name} exited 0 (stderr tail: ${sh.stderr.slice(-400)})`);
  return judgePage(await readFile(out));
}

/**
 * Negative controls: the page check must reject an empty page, a page of error text (what Chromium
 * shows for a file it cannot open) and the very report given as `reportFile` with its stylesheet removed.
 */
async function checkNegativeControls(t: Test, dir: string, reportFile?: string): Promise<void> {
  const blank = join(dir, 'blank.html');
  await writeFile(blank, '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
  const b = await screenshotAndJudge(t, dir, blank, 'blank-page');
  t.notOk(b.ok, `the page check rejects a blank page: ${b.why}`);
  const err = join(dir, 'error.html');
  await writeFile(err, `<!DOCTYPE html><html><body style="font:15px sans-serif;margin:60px"><h1>This page isn't working</h1>${'<p>ERR_FILE_NOT_FOUND: the file report.html could not be read; it may have been moved, edited or deleted.</p>'.repeat(20)}</body></html>`);
  const e = await screenshotAndJudge(t, dir, err, 'error-page');
  t.notOk(e.ok, `the page check rejects an error page: ${e.why}`);
  if (reportFile) {
    const bare = join(dir, 'unstyled-report.html');
    await writeFile(bare, (await readFile(reportFile, 'utf8')).replace(/<style>[\s\S]*?<\/style>/g, ''));
    const u = await screenshotAndJudge(t, dir, bare, 'unstyled-report');
    t.notOk(u.ok, `the page check rejects the same report without its stylesheet: ${u.why}`);
  }
}

t.test('a report with a real QMP screendump renders in headless Chromium', async (t) => {
  const hasChromium = (await execa('sh', ['-c', 'command -v chromium'], { reject: false })).exitCode === 0;
  if (!hasChromium) {
    t.fail('chromium is not installed: apt-get install -y --no-install-recommends chromium');
    return;
  }
  const dir = t.testdir({});
  const image = join(dir, 'halt.img');
  await writeHaltImage(image, 'SCREEN FIXTURE: halted here');

  // A real guest that prints and halts: QMP screendump must give a PNG while it runs…
  const notes: string[] = [];
  let serial = '';
  const machine = await Machine.start({ image }, { onSerial: (c) => void (serial += c.toString('latin1')), onEvent: () => undefined });
  t.teardown(() => machine.close());
  const deadline = Date.now() + 20_000;
  while (!serial.includes('SCREEN FIXTURE') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.match(serial, 'SCREEN FIXTURE: halted', 'the fixture guest printed its message');
  const shot = await captureScreenshot(machine, dir, 'at failure', notes);
  t.equal(shot, 'screen-at_failure.png', `screendump taken (notes: ${notes.join('; ')})`);
  const png = await readFile(join(dir, 'screen-at_failure.png'));
  t.equal(png.subarray(0, 8).toString('hex'), PNG_MAGIC);
  t.equal(png.readUInt32BE(16), 720, 'VGA text mode is 720 px wide');
  t.equal(png.readUInt32BE(20), 400, 'and 400 px high');
  // …and after the machine is gone it must return null with a note, not throw.
  await machine.close();
  t.equal(await captureScreenshot(machine, dir, 'at end', notes), null);
  t.match(notes.join('\n'), /screenshot "at end" not taken: .*not running/);

  const { report, consoleLines } = failedRunFixture(dir);
  const file = await writeHtmlReport(dir, { report, consoleLines, screenshots: [{ label: 'at failure', file: shot ?? 'missing.png' }], lint: null });

  const dom = await runChromium(dir, file, ['--dump-dom']);
  t.equal(dom.exitCode, 0, `chromium --dump-dom exited 0 (stderr tail: ${dom.stderr.slice(-400)})`);
  for (const id of STAGE_IDS) t.match(dom.stdout, new RegExp(`<tr class="stage" id="stage-${id}"`), `DOM has stage ${id}`);
  t.match(dom.stdout, '<dd class="mono" id="failure-code">IPXE_COMMAND_NOT_FOUND</dd>', 'DOM has the failure code');
  t.match(dom.stdout, /<img src="screen-at_failure\.png"/, 'DOM has the screenshot');
  t.notMatch(dom.stdout, /<script|<img src="?x/i, 'untrusted console text did not become markup');
  t.match(dom.stdout, '&lt;script&gt;alert("pwned")&lt;/script&gt;', 'it is shown as text');

  const page = await screenshotAndJudge(t, dir, file, 'page');
  t.ok(page.ok, `the page screenshot shows the report: ${page.why}`);
});

/** Chromium's DOM serialisation of a text node: only &, <, > (and nbsp) are escaped. */
const textNode = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\u00a0/g, '&nbsp;');

t.test('the report.html of a real failed `bootchain boot` renders every stage, the failure and the console', async (t) => {
  const dir = t.testdir({});
  await ensureDefaultImage(join(dir, 'build-artifacts'));
  // The recipe of scenarios/corrupt-ldlinux-sys.ts on a copy of the default image: ldlinux.sys bytes
  // 2048..10240 (inside its first extent) filled with 0xa5 → SYSLINUX "Load error" at ldlinux-sys.
  const image = join(dir, 'corrupt-ldlinux.img');
  await copyFile(DEFAULT_IMG, image);
  const map = JSON.parse(readFileSync(DEFAULT_MAP, 'utf8')) as { regions: Array<{ name: string; ranges: Array<{ start: number; end: number }> }> };
  const first = map.regions.find((r) => r.name === '/extlinux/ldlinux.sys')?.ranges[0];
  if (!first || first.end - first.start < 10240) throw new Error(`unexpected ldlinux.sys extent in ${DEFAULT_MAP}: ${JSON.stringify(first)}`);
  const fh = await open(image, 'r+');
  await fh.write(Buffer.alloc(8192, 0xa5), 0, 8192, first.start + 2048);
  await fh.close();

  const artifacts = join(dir, 'artifacts');
  const run = await execa(process.execPath, [CLI, 'boot', image, '--json'], { cwd: ROOT, reject: false, env: { BOOTCHAIN_ARTIFACTS: artifacts }, timeout: 120_000 });
  const report = JSON.parse(String(run.stdout || 'null')) as { stages: Array<{ id: string; status: string; evidence: string[] }>; failure: { stage: string; code: string } | null; artifacts: string } | null;
  const consoleText = report ? readFileSync(join(report.artifacts, 'console.txt'), 'utf8') : '';
  const table = report?.stages.map((s) => `${s.id.padEnd(12)} ${s.status.padEnd(12)} ${s.evidence[0] ?? ''}`).join('\n') ?? '(no report)';
  const why = `exit ${run.exitCode}; stderr:\n${String(run.stderr).slice(-800)}\nstages:\n${table}\nconsole tail:\n${consoleText.split('\n').slice(-12).join('\n')}`;
  t.equal(run.exitCode, 1, `the boot failed (exit 1) — ${why}`);
  if (!report) return;
  t.equal(report.failure?.code, 'SYSLINUX_LOAD_ERROR', `failure code — ${why}`);
  t.ok(report.stages.some((s) => s.status === 'passed') && report.stages.some((s) => s.status === 'failed'), `the run has passed and failed stages — ${why}`);
  t.ok(readdirSync(report.artifacts).includes('report.html'), `the run wrote report.html (have: ${readdirSync(report.artifacts).join(', ')})`);
  const file = join(report.artifacts, 'report.html');

  const dom = await runChromium(dir, file, ['--dump-dom']);
  t.equal(dom.exitCode, 0, `chromium --dump-dom exited 0 (stderr tail: ${dom.stderr.slice(-400)})`);
  const rows = [...dom.stdout.matchAll(/<tr class="stage" id="stage-([\w-]+)" data-stage="[\w-]+" data-status="([\w-]+)"/g)].map((m) => `${m[1]}=${m[2]}`);
  t.same(rows, report.stages.map((s) => `${s.id}=${s.status}`), `the DOM has every stage row of the run with its status, in order — ${why}`);
  for (const s of report.stages) t.match(dom.stdout, new RegExp(`id="stage-${s.id}"[^>]*>\\s*<td class="id">${s.id}</td>\\s*<td class="status ${s.status}">${s.status}</td>`), `row ${s.id} shows ${s.status}`);
  t.match(dom.stdout, `<dd class="mono" id="failure-code">${report.failure?.code}</dd>`, 'the DOM shows the failure code');
  t.match(dom.stdout, `data-stage="${report.failure?.stage}"`, 'and the failed stage');
  const lines = consoleText.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  t.ok(lines.some((l) => /Load error/.test(l)), `the console has SYSLINUX's Load error — ${why}`);
  for (const l of lines) t.ok(dom.stdout.includes(`</span>${textNode(l)}</span>`), `the DOM shows console line ${JSON.stringify(l)}`);

  const page = await screenshotAndJudge(t, dir, file, 'real-run-page');
  t.ok(page.ok, `the page screenshot shows the report's status colours — ${page.why}\n${why}`);
  await checkNegativeControls(t, dir, file);
});
