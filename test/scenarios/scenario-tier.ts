// The end-to-end tier: every scenario under scenarios/ booted in real QEMU. Each stage is its own
// assertion so TAP/JUnit readers see which stage broke; a failure prints the stage table and console tail.
// The assertions themselves are harness/scenario/assertions.ts (the CLI's `run --tap` asserts the same).
import t from 'tap';
import type { LoadedScenario } from '../../harness/scenario/catalog.ts';
import { scenarioCells } from '../fixtures/scenario-cells.ts';
import { runScenario } from '../../harness/scenario/run-scenario.ts';
import { rememberDuration } from '../../harness/scenario/durations.ts';
import { formatStageTable } from '../../harness/stages/index.ts';
import { ledgerLine, scenarioAssertions } from '../../harness/scenario/assertions.ts';

/** Runs the scenario tier for one part of the cells (see test/fixtures/scenario-cells.ts). */
export async function scenarioTier(part: number, parts: number): Promise<void> {
  const only = process.env.BOOTCHAIN_SCENARIO?.split(',').filter(Boolean);
  const scenarios: LoadedScenario[] = await scenarioCells(part, parts);

  for (const s of scenarios) {
    t.test(`scenario ${s.name}`, async (t) => {
      const o = await runScenario(s);
      const r = o.result;
      await rememberDuration(s.name, r.wallMs);
      for (const a of scenarioAssertions(s, o)) t.ok(a.ok, a.name, { ...(a.ok ? {} : { found: a.found, wanted: a.wanted, stageTable: a.details }) });
      // The stage table and ledger of every run, on stderr: shown by tap's terminal reporter too (TAP comments are not).
      const ledger = ledgerLine(o);
      console.error(`scenario ${s.name}: ${r.verdict}${r.failure ? ` at ${r.failure.stage} [${r.failure.code}]` : ''}; ledger: ${ledger}`);
      if (only?.length) console.error(`${formatStageTable(r.stages, r.failure)}\nartifacts: ${r.artifactsDir}`);
      t.comment(`ledger: ${ledger}`);
    });
  }
}
