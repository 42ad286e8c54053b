import t from 'tap';
import { flakeTable, summarizeFlake, type FlakeRun } from '../../harness/reliability/flake-run.ts';

const run = (scenario: string, o: Partial<FlakeRun> = {}, guest: number[] = [10, 20]): FlakeRun => ({
  scenario,
  hog: false,
  verdict: 'fail',
  failedStage: 'chain',
  code: 'IPXE_HTTP_404',
  ok: true,
  problems: [],
  stages: [{ id: 'bios', status: 'passed', guestMs: guest[0]! }, { id: 'chain', status: 'failed', guestMs: guest[1]! }],
  wallMs: 1000,
  ...o,
});

t.test('same verdict, failed stage and code every run is stable; any difference is not', async (t) => {
  const sums = summarizeFlake([run('a', {}, [10, 20]), run('a', { hog: true }, [12, 26]), run('b'), run('b', { code: 'IPXE_TIMEOUT' }), run('c', { verdict: 'pass', failedStage: null, code: null }), run('c', { verdict: 'pass', failedStage: null, code: null, ok: false })]);
  t.same(sums.map((s) => [s.scenario, s.stable]), [['a', true], ['b', false], ['c', true]]);
  t.same(sums[1]!.outcomes, { 'fail|chain|IPXE_HTTP_404': 1, 'fail|chain|IPXE_TIMEOUT': 1 });
  t.equal(sums[2]!.notOk, 1, 'a run whose expectations failed is counted');
  t.same(sums[0]!.spread.find((x) => x.id === 'chain'), { id: 'chain', n: 2, minMs: 20, medianMs: 26, maxMs: 26, spreadMs: 6 });
  t.match(flakeTable(sums), /\| b \| 2 \| \*\*NO\*\* \|/);
});
