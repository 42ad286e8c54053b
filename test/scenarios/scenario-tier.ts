// The end-to-end tier: every scenario under scenarios/ booted in real QEMU. Each stage is its own
// assertion so TAP/JUnit readers see which stage broke; a failure prints the stage table and console tail.
import t from 'tap';
import type { LoadedScenario } from '../../harness/scenario/catalog.ts';
import { scenarioCells } from '../fixtures/scenario-cells.ts';
import { runScenario } from '../../harness/scenario/run-scenario.ts';
import { formatStageTable } from '../../harness/stages/index.ts';

/** Runs the scenario tier for one part of the cells (see test/fixtures/scenario-cells.ts). */
export async function scenarioTier(part: number, parts: number): Promise<void> {
const only = process.env.BOOTCHAIN_SCENARIO?.split(',').filter(Boolean);
const scenarios: LoadedScenario[] = await scenarioCells(part, parts);

for (const s of scenarios) {
  t.test(`scenario ${s.name}`, async (t) => {
    const o = await runScenario(s);
    const r = o.result;
    const diag = () => `${formatStageTable(r.stages, r.failure)}\n--- console tail ---\n${r.consoleText.split('\n').slice(-25).join('\n')}\nartifacts: ${r.artifactsDir}`;
    const target = 'pass' in s.def.expect ? s.def.expect.pass : s.def.expect.failAt;
    // Every stage of the run up to the target, built-in and the scenario's own, in ladder order.
    const upto = r.stages.findIndex((x) => x.id === target);
    t.ok(upto >= 0, `the run's ladder has stage ${target}`, { stages: r.stages.map((x) => x.id) });
    for (const [i, st] of r.stages.entries()) {
      if (i > upto) break;
      const want = s.def.skipped?.includes(st.id) ? 'skipped' : 'pass' in s.def.expect || i < upto ? 'passed' : 'failed';
      t.equal(st.status, want, `stage ${st.id} ${want}`, { diagnostic: st.status !== want, stageTable: st.status !== want ? diag() : undefined });
    }
    const times = r.stages.filter((x) => x.atMs !== null).map((x) => x.atMs!);
    t.ok(times.every((x, i) => i === 0 || x >= times[i - 1]!), 'stage times never run backwards', { stageTable: diag() });
    if ('failAt' in s.def.expect && s.def.expect.code) t.equal(r.failure?.code, s.def.expect.code, `failure code ${s.def.expect.code}`, { hint: r.failure?.hint });
    if ('failAt' in s.def.expect && s.def.expect.lint) {
      const code = s.def.expect.lint;
      t.ok(r.report.lint.some((f) => f.code === code && f.severity === 'error'), `lint reports ${code} before the boot`, { lint: r.report.lint.map((f) => `${f.severity} ${f.code}: ${f.message}`) });
    }
    t.same(o.problems, [], 'every scenario expectation holds', { details: o.problems.length ? diag() : undefined });
    // The stage table and ledger of every run, on stderr: shown by tap's terminal reporter too (TAP comments are not).
    const ledger = r.ledger.map((e) => `${e.method} ${e.url} → ${e.status}`).join('; ') || 'empty';
    console.error(`scenario ${s.name}: ${r.verdict}${r.failure ? ` at ${r.failure.stage} [${r.failure.code}]` : ''}; ledger: ${ledger}`);
    if (only?.length) console.error(`${formatStageTable(r.stages, r.failure)}\nartifacts: ${r.artifactsDir}`);
    t.comment(`ledger: ${ledger}`);
  });
}
}
