// The end-to-end tier: every scenario under scenarios/ booted in real QEMU. Each stage is its own
// assertion so TAP/JUnit readers see which stage broke; a failure prints the stage table and console tail.
import t from 'tap';
import type { LoadedScenario } from '../../harness/scenario/catalog.ts';
import { scenarioCells } from '../fixtures/scenario-cells.ts';
import { runScenario } from '../../harness/scenario/run-scenario.ts';
import { formatStageTable } from '../../harness/stages/index.ts';
import { scenarioAssertions } from '../../harness/scenario/assertions.ts';

/** Runs the scenario tier for one part of the cells (see test/fixtures/scenario-cells.ts). */
export async function scenarioTier(part: number, parts: number): Promise<void> {
const only = process.env.BOOTCHAIN_SCENARIO?.split(',').filter(Boolean);
const scenarios: LoadedScenario[] = await scenarioCells(part, parts);

for (const s of scenarios) {
  t.test(`scenario ${s.name}`, async (t) => {
    const o = await runScenario(s);
    const r = o.result;
    const diag = () => `${formatStageTable(r.stages, r.failure)}\n--- console tail ---\n${r.consoleText.split('\n').slice(-25).join('\n')}\nartifacts: ${r.artifactsDir}`;
    // The same checks `bootchain test` reports (harness/scenario/assertions.ts), one assertion each.
    for (const c of scenarioAssertions(s, o)) t.ok(c.ok, c.name, c.ok ? {} : { found: c.found, stageTable: diag() });
    // The stage table and ledger of every run, on stderr: shown by tap's terminal reporter too (TAP comments are not).
    const ledger = r.ledger.map((e) => `${e.method} ${e.url} → ${e.status}`).join('; ') || 'empty';
    console.error(`scenario ${s.name}: ${r.verdict}${r.failure ? ` at ${r.failure.stage} [${r.failure.code}]` : ''}; ledger: ${ledger}`);
    if (only?.length) console.error(`${formatStageTable(r.stages, r.failure)}\nartifacts: ${r.artifactsDir}`);
    t.comment(`ledger: ${ledger}`);
  });
}
}
