// What a scenario run is checked against, as a list of named assertions: each stage up to the scenario's
// target (passed, or skipped/failed where the scenario says so), monotonic stage times, the failure code,
// lint's finding, and every expectation of the scenario file. The tap tier (`npm test`) and the CLI's TAP
// and JUnit reporters (`bootchain run --tap`) assert the same list.
import type { LoadedScenario } from './catalog.ts';
import type { ScenarioOutcome } from './run-scenario.ts';
import { formatStageTable } from '../stages/index.ts';

export interface ScenarioAssertion {
  ok: boolean;
  name: string;
  /** What was found and what was wanted, for the failure's diagnostics. */
  found?: unknown;
  wanted?: unknown;
  /** The stage table and console tail, attached to a failed assertion. */
  details?: string;
}

/** The stage table, the console's last lines and the artifacts folder: what every failed assertion prints. */
export function runDiagnostics(o: ScenarioOutcome, tailLines = 25): string {
  const r = o.result;
  return `${formatStageTable(r.stages, r.failure)}\n--- console tail ---\n${r.consoleText.split('\n').slice(-tailLines).join('\n')}\nartifacts: ${r.artifactsDir}`;
}

export function scenarioAssertions(s: LoadedScenario, o: ScenarioOutcome): ScenarioAssertion[] {
  const r = o.result;
  const out: ScenarioAssertion[] = [];
  const add = (ok: boolean, name: string, extra: Omit<ScenarioAssertion, 'ok' | 'name' | 'details'> = {}): void => {
    out.push({ ok, name, ...extra, ...(ok ? {} : { details: runDiagnostics(o) }) });
  };
  const target = 'pass' in s.def.expect ? s.def.expect.pass : s.def.expect.failAt;
  // Every stage of the run up to the target, built-in and the scenario's own, in ladder order.
  const upto = r.stages.findIndex((x) => x.id === target);
  add(upto >= 0, `the run's ladder has stage ${target}`, { found: r.stages.map((x) => x.id) });
  for (const [i, st] of r.stages.entries()) {
    if (i > upto) break;
    const want = s.def.skipped?.includes(st.id) ? 'skipped' : 'pass' in s.def.expect || i < upto ? 'passed' : 'failed';
    add(st.status === want, `stage ${st.id} ${want}`, { found: st.status, wanted: want });
  }
  const times = r.stages.filter((x) => x.atMs !== null).map((x) => x.atMs!);
  add(times.every((x, i) => i === 0 || x >= times[i - 1]!), 'stage times never run backwards', { found: times });
  if ('failAt' in s.def.expect && s.def.expect.code) add(r.failure?.code === s.def.expect.code, `failure code ${s.def.expect.code}`, { found: r.failure?.code ?? null, wanted: s.def.expect.code });
  if ('failAt' in s.def.expect && s.def.expect.lint) {
    const code = s.def.expect.lint;
    add(r.report.lint.some((f) => f.code === code && f.severity === 'error'), `lint reports ${code} before the boot`, { found: r.report.lint.map((f) => `${f.severity} ${f.code}: ${f.message}`) });
  }
  add(o.problems.length === 0, 'every scenario expectation holds', { found: o.problems });
  return out;
}

/** The run's ledger in one line (`GET /x → 200; …`). */
export function ledgerLine(o: ScenarioOutcome): string {
  return o.result.ledger.map((e) => `${e.method} ${e.url} → ${e.status}`).join('; ') || 'empty';
}
