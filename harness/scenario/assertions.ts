import type { LoadedScenario } from './catalog.ts';
import type { ScenarioOutcome } from './run-scenario.ts';

/** One check of a scenario run, as a test reporter shows it. */
export interface ScenarioAssertion {
  ok: boolean;
  name: string;
  /** What a reader needs when it failed: what was found instead. */
  found?: string;
}

/**
 * A scenario run as a list of checks: each stage up to the target (passed, or failed at the expected one,
 * or skipped), stage times in order, the failure code, lint, and every scenario expectation.
 */
export function scenarioAssertions(s: LoadedScenario, o: ScenarioOutcome): ScenarioAssertion[] {
  const r = o.result;
  const out: ScenarioAssertion[] = [];
  const target = 'pass' in s.def.expect ? s.def.expect.pass : s.def.expect.failAt;
  const upto = r.stages.findIndex((x) => x.id === target);
  out.push({ ok: upto >= 0, name: `the run's ladder has stage ${target}`, found: r.stages.map((x) => x.id).join(', ') });
  for (const [i, st] of r.stages.entries()) {
    if (i > upto) break;
    const want = s.def.skipped?.includes(st.id) ? 'skipped' : 'pass' in s.def.expect || i < upto ? 'passed' : 'failed';
    out.push({ ok: st.status === want, name: `stage ${st.id} ${want}`, found: `${st.status}: ${st.evidence[0] ?? ''}` });
  }
  const times = r.stages.filter((x) => x.atMs !== null).map((x) => x.atMs!);
  out.push({ ok: times.every((x, i) => i === 0 || x >= times[i - 1]!), name: 'stage times never run backwards', found: times.join(', ') });
  if ('failAt' in s.def.expect && s.def.expect.code) out.push({ ok: r.failure?.code === s.def.expect.code, name: `failure code ${s.def.expect.code}`, found: r.failure?.code ?? 'none' });
  if ('failAt' in s.def.expect && s.def.expect.lint) {
    const code = s.def.expect.lint;
    out.push({ ok: r.report.lint.some((f) => f.code === code && f.severity === 'error'), name: `lint reports ${code} before the boot`, found: r.report.lint.map((f) => `${f.severity} ${f.code}`).join(', ') || 'nothing' });
  }
  out.push({ ok: o.problems.length === 0, name: 'every scenario expectation holds', found: o.problems.join('\n') });
  return out;
}
