import t from 'tap';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { Machine } from '../../harness/machine/index.ts';
import { captureScreenshot } from '../../harness/report/screenshot.ts';
import { writeHtmlReport } from '../../harness/report/html-report.ts';
import { STAGE_IDS } from '../../harness/stages/ladder.ts';
import { failedRunFixture, writeHaltImage } from './fixtures/failed-run.ts';
import { runChromium } from './fixtures/chromium.ts';

const PNG_MAGIC = '89504e470d0a1a0a';

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

  const out = join(dir, 'page.png');
  const sh = await runChromium(dir, file, [`--screenshot=${out}`, '--window-size=1280,1600', '--hide-scrollbars']);
  t.equal(sh.exitCode, 0, `chromium --screenshot exited 0 (stderr tail: ${sh.stderr.slice(-400)})`);
  const st = await stat(out);
  t.ok(st.size > 10_000, `page screenshot is a real PNG (${st.size} bytes)`);
  t.equal((await readFile(out)).subarray(0, 8).toString('hex'), PNG_MAGIC);
});
