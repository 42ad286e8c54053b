// The CLI's TAP, read back by tap's own parser (tap-parser): subtests, counts, failures with their YAML
// diagnostics, and awkward text (line breaks, '#', control bytes) that must not break the stream.
import t from 'tap';
import { Parser } from 'tap-parser';
import { TapWriter } from '../../harness/report/tap.ts';

function parse(text: string): Promise<{ ok: boolean; count: number; pass: number; fail: number; failures: Array<{ name: string; diag: unknown }>; children: string[] }> {
  return new Promise((res) => {
    const children: string[] = [];
    const p = new Parser((r) => res({ ok: r.ok, count: r.count, pass: r.pass, fail: r.fail, failures: r.failures.map((f) => ({ name: f.name, diag: f.diag })), children }));
    p.on('child', (c: Parser) => c.on('complete', (r: { count: number; fail: number }) => children.push(`${r.count}/${r.fail}`)));
    p.end(text);
  });
}

t.test('passing and failing subtests parse with their counts and diagnostics', async (t) => {
  let out = '';
  const w = new TapWriter((s) => (out += s));
  t.equal(w.subtest('scenario good', [{ ok: true, name: 'stage bios passed' }, { ok: true, name: 'stage mbr passed' }], ['ledger: GET /x → 200']), true);
  t.equal(w.subtest('scenario bad #1\nsecond line', [
    { ok: true, name: 'stage bios passed' },
    { ok: false, name: 'stage chain passed', found: 'failed', wanted: 'passed', details: 'stage  status\nchain  FAIL\n--- console tail ---\nbell\u0007 here # not a directive' },
    { ok: false, name: 'stage times never run backwards', found: [3, 1] },
  ]), false);
  w.end();
  const r = await parse(out);
  t.equal(r.ok, false, 'the stream fails when a subtest fails');
  t.equal(r.count, 2, 'one test point per scenario');
  t.equal(r.pass, 1);
  t.equal(r.fail, 1);
  t.same(r.children.sort(), ['2/0', '3/2'], 'each subtest with its own assertions');
  t.match(r.failures[0]!.name, /scenario bad \\?#1 second line/);
});

t.test('the failed assertion carries found, wanted and the stage table as YAML', async (t) => {
  let out = '';
  const w = new TapWriter((s) => (out += s));
  w.subtest('scenario x', [{ ok: false, name: 'stage chain passed', found: 'failed', wanted: 'passed', details: 'stage  status\nchain  FAIL' }]);
  w.end();
  const diags: unknown[] = [];
  await new Promise<void>((res) => {
    const p = new Parser(() => res());
    p.on('child', (c: Parser) => c.on('assert', (a: { diag: unknown }) => diags.push(a.diag)));
    p.end(out);
  });
  t.same(diags, [{ found: 'failed', wanted: 'passed', details: 'stage  status\nchain  FAIL' }]);
});

t.test('positive control: an empty subtest is not a pass', async (t) => {
  let out = '';
  const w = new TapWriter((s) => (out += s));
  t.equal(w.subtest('scenario empty', []), false);
  w.end();
  t.equal((await parse(out)).ok, false);
});
