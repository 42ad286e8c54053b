import { loadAllScenarios } from '../scenario/catalog.ts';
import { runScenario } from '../scenario/run-scenario.ts';
import { ratio, table } from './stats.ts';

const s = (x: number | null | undefined) => (x === null || x === undefined ? '-' : (x / 1000).toFixed(2));

/**
 * Every scenario in real time (baseline) and under time warp, in the same run: wall time to the verdict,
 * the ratio, whether both modes agree, and for failure scenarios how long after the failure showed the
 * verdict came (fail-fast).
 */
export async function benchScenarios(log: (s: string) => void): Promise<void> {
  const all = await loadAllScenarios();
  const rows: string[][] = [];
  let totalReal = 0;
  let totalWarp = 0;
  for (const sc of all) {
    const real = await runScenario(sc, { realtime: true });
    const warp = await runScenario(sc, {});
    const rr = real.result.report;
    const wr = warp.result.report;
    totalReal += real.result.wallMs;
    totalWarp += warp.result.wallMs;
    const agree = rr.verdict === wr.verdict && (rr.failure?.code ?? null) === (wr.failure?.code ?? null) && (rr.failure?.stage ?? null) === (wr.failure?.stage ?? null);
    const delay = (r: typeof rr) => (r.failure?.seenAtMs !== undefined && r.verdictAtMs !== null ? r.verdictAtMs - r.failure.seenAtMs : null);
    rows.push([
      sc.name,
      `${wr.verdict}${wr.failure ? ` ${wr.failure.stage}/${wr.failure.code}` : ''}`,
      s(real.result.wallMs),
      s(warp.result.wallMs),
      ratio(warp.result.wallMs, real.result.wallMs),
      agree ? 'yes' : 'NO',
      s(delay(rr)),
      s(delay(wr)),
    ]);
  }
  log('## every scenario: real time (baseline) vs time warp; fail-fast delay = verdict time − time the failure showed');
  log(table(['scenario', 'verdict (warp)', 'real s', 'warp s', 'warp/real', 'agree', 'delay real s', 'delay warp s'], rows));
  log(`suite: real time ${s(totalReal)} s, warp ${s(totalWarp)} s → ${ratio(totalWarp, totalReal)} (${(totalReal / Math.max(totalWarp, 1)).toFixed(1)}× faster)`);
}
