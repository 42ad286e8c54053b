// Time warp must not change what a boot means: every scenario, run under warp and in real time, gives
// the same verdict, the same failed stage and failure code, and the same status for every stage.
import t from 'tap';
import type { LoadedScenario } from '../../harness/scenario/catalog.ts';
import { scenarioCells } from '../fixtures/scenario-cells.ts';
import { runScenario, scenarioClock } from '../../harness/scenario/run-scenario.ts';
import { formatStageTable } from '../../harness/stages/index.ts';

/** Runs the check for one half of the scenarios (by catalog order), so two test files share the work. */
export async function modesAgree(half: 0 | 1): Promise<void> {
const scenarios: LoadedScenario[] = await scenarioCells(half, 2);

for (const s of scenarios) {
  t.test(`${s.name}: warp and real time agree`, async (t) => {
    if (scenarioClock(s.def) === 'realtime') {
      t.pass('skipped', { skip: 'this scenario always runs in real time (wall-clock stub delays): there is no warped run to compare' });
      return;
    }
    const w = await runScenario(s);
    const r = await runScenario(s, { realtime: true });
    const warp = w.result;
    const real = r.result;
    const diag = `warp:\n${formatStageTable(warp.stages, warp.failure)}\n\nreal time:\n${formatStageTable(real.stages, real.failure)}`;
    // Agreement alone proves nothing (two runs that both end in error agree): each must also be right.
    t.not(warp.verdict, 'error', 'warp run is not an error', { diag });
    t.not(real.verdict, 'error', 'real-time run is not an error', { diag });
    t.same(w.problems, [], 'warp run meets the scenario\'s expectation', { diag });
    t.same(r.problems, [], 'real-time run meets the scenario\'s expectation', { diag });
    t.equal(warp.icountShift !== null && real.icountShift === null, true, 'one run warped, one in real time');
    t.equal(warp.verdict, real.verdict, 'same verdict', { diag });
    t.equal(warp.failure?.stage ?? null, real.failure?.stage ?? null, 'same failed stage', { diag });
    t.equal(warp.failure?.code ?? null, real.failure?.code ?? null, 'same failure code', { diag });
    t.same(warp.stages.map((x) => `${x.id}:${x.status}`), real.stages.map((x) => `${x.id}:${x.status}`), 'same status for every stage', { diag });
  });
}
}
