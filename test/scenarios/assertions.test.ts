// The checks `bootchain test` and the scenario tier report for a run: a pass, and the ways a run can miss.
import t from 'tap';
import { scenarioAssertions } from '../../harness/scenario/assertions.ts';
import type { LoadedScenario } from '../../harness/scenario/catalog.ts';
import type { ScenarioOutcome } from '../../harness/scenario/run-scenario.ts';

const stage = (id: string, status: string, atMs: number) => ({ id, status, atMs, guestMs: atMs, evidence: [`evidence of ${id}`] });
const scenario = (expect: LoadedScenario['def']['expect']): LoadedScenario => ({ name: 'x', file: '/x.ts', def: { description: 'x', image: 'hypersolid-cloud', expect } });
const outcome = (stages: ReturnType<typeof stage>[], problems: string[] = [], failure: { code: string } | null = null): ScenarioOutcome =>
  ({ name: 'x', ok: problems.length === 0, problems, image: '/x.img', notes: [], result: { stages, failure, report: { lint: [] }, consoleText: 'last line', artifactsDir: '/a' } }) as unknown as ScenarioOutcome;

t.test('a run that went as expected: every check passes', async (t) => {
  const checks = scenarioAssertions(scenario({ pass: 'mbr' }), outcome([stage('bios', 'passed', 1), stage('mbr', 'passed', 2), stage('gpt', 'not-reached', 3)]));
  t.same(checks.map((c) => [c.name, c.ok]), [["the run's ladder has stage mbr", true], ['stage bios passed', true], ['stage mbr passed', true], ['stage times never run backwards', true], ['every scenario expectation holds', true]]);
});

t.test('a failed stage, times running backwards, a wrong failure code and a problem each fail their check', async (t) => {
  const checks = scenarioAssertions(scenario({ failAt: 'gpt', code: 'GPT_BAD' }), outcome([stage('bios', 'passed', 5), stage('mbr', 'failed', 2), stage('gpt', 'not-reached', 3)], ['console never showed "x"'], { code: 'OTHER' }));
  const failed = checks.filter((c) => !c.ok).map((c) => c.name);
  t.same(failed, ['stage mbr passed', 'stage gpt failed', 'stage times never run backwards', 'failure code GPT_BAD', 'every scenario expectation holds']);
  t.equal(checks.find((c) => c.name === 'failure code GPT_BAD')?.found, 'OTHER', 'says what it found instead');
});

t.test('a failed check carries the stage table and console tail; a passed one carries nothing', async (t) => {
  const checks = scenarioAssertions(scenario({ pass: 'mbr' }), outcome([stage('bios', 'passed', 1), stage('mbr', 'failed', 2)]));
  const bad = checks.find((c) => c.name === 'stage mbr passed')!;
  t.match(bad.details, /bios[\s\S]*mbr[\s\S]*--- console tail ---\nlast line\nartifacts: \/a/);
  t.equal(checks.find((c) => c.name === 'stage bios passed')!.details, undefined);
});
