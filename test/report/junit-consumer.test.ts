// The JUnit bootchain writes, read back by a real consumer (junitparser): counts, one testcase per
// scenario cell, the stages as properties, the failure's code, stage, message and hint, the artifacts
// path, and text a guest can print (markup, control bytes, lone surrogates, line breaks) surviving intact.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { toJUnit, type RunSummaryEntry } from '../../harness/report/run-summary.ts';
import { consumeJUnit } from '../fixtures/junit-consumer.ts';

const dir = mkdtempSync(join(tmpdir(), 'bootchain-test-junit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const entries: RunSummaryEntry[] = [
  { scenario: 'external-script', ok: true, problems: [], verdict: 'pass', failure: null, artifacts: '/runs/a 1', wallMs: 2140, stages: [{ id: 'bios', status: 'passed', guestMs: 512.4 }, { id: 'gpt', status: 'skipped', guestMs: null }] },
  { scenario: 'hardware-matrix[diskBus=ide,nic=e1000]', ok: false, problems: ['expected pass, got fail'], verdict: 'fail', failure: { stage: 'chain', code: 'IPXE_HTTP_404', message: 'GET /x.ipxe?a=1&b=<2> → 404 "Not Found"\nline two', hint: "check the chain URL's path" }, artifacts: '/runs/b', wallMs: 900, stages: [{ id: 'chain', status: 'failed', guestMs: 41000 }] },
  { scenario: 'chain-blackhole', ok: false, problems: ['QEMU exited: \u0007bell \u001b[31mred\u001b[0m \ud800 lone'], verdict: 'error', failure: null, artifacts: '/runs/c', wallMs: 10 },
  { scenario: 'surprise', ok: false, problems: ['surprise pass: this cell was declared to fail (nvme needs q35); drop its matrix.expectFail entry'], verdict: 'pass', failure: null, artifacts: '/runs/d', wallMs: 1000, stages: [] },
];

t.test('junitparser reads every case, result, property and the artifacts path', async (t) => {
  const file = join(dir, 'junit.xml');
  writeFileSync(file, toJUnit(entries));
  const suites = await consumeJUnit(file);
  t.equal(suites.length, 1, 'one suite');
  const s = suites[0]!;
  t.match(s, { name: 'bootchain', tests: 4, failures: 2, errors: 1, skipped: 0 });
  t.equal(Math.round(s.time * 1000), 2140 + 900 + 10 + 1000, 'suite time is the sum');
  t.same(s.cases.map((c) => c.name), entries.map((e) => e.scenario), 'one testcase per scenario cell, names intact');
  const [ok, fail, err, surprise] = s.cases as [typeof s.cases[0], typeof s.cases[0], typeof s.cases[0], typeof s.cases[0]];
  t.same(ok.results, [], 'a passing cell has no result element');
  t.equal(ok.time, 2.14);
  t.same(ok.properties, { verdict: 'pass', 'stage.bios': 'passed @512 ms guest', 'stage.gpt': 'skipped' }, 'stages and their guest times are properties');
  t.equal(ok.systemOut, 'artifacts: /runs/a 1');
  t.same(fail.results, [{ kind: 'Failure', type: 'IPXE_HTTP_404', message: '[IPXE_HTTP_404] at chain: GET /x.ipxe?a=1&b=<2> → 404 "Not Found"\nline two', text: "expected pass, got fail\nhint: check the chain URL's path" }], 'the failure: code as type, stage and message, the hint in the body');
  t.equal(fail.properties['stage.chain'], 'failed @41000 ms guest');
  t.equal(err.results[0]?.kind, 'Error', 'a harness error is an <error>, not a <failure>');
  t.match(err.results[0]?.message, /QEMU exited: \ufffdbell \ufffd\[31mred\ufffd\[0m \ufffd lone/, 'bytes XML cannot hold are replaced, the rest kept');
  t.equal(surprise.results[0]?.kind, 'Failure', 'a surprise pass of an expected-fail cell fails the case');
});

t.test('positive control: junitparser rejects a file that is not well-formed', async (t) => {
  const file = join(dir, 'broken.xml');
  writeFileSync(file, toJUnit(entries).replace('</testsuite>', ''));
  await t.rejects(consumeJUnit(file), /junitparser could not read/);
});
