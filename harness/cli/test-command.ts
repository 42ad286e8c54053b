import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import { loadAllCells, loadScenarioCells } from '../scenario/catalog.ts';
import type { ScenarioCell } from '../scenario/cells.ts';
import { runScenario } from '../scenario/run-scenario.ts';
import { scenarioAssertions } from '../scenario/assertions.ts';
import { formatStageTable, formatStageRow } from '../stages/index.ts';
import { toJUnit, type RunSummaryEntry } from './merge-reports-command.ts';
import { parseJobs } from './run-command.ts';
import { withInterrupt } from './interrupt.ts';
import type { CliIo } from './io.ts';

const REPORTERS = ['tap', 'junit'] as const;

/** A YAML block scalar for TAP diagnostics (TAP 14: an indented `---` … `...` block). */
function yamlBlock(fields: Record<string, string>, indent: string): string {
  const lines = [`${indent}  ---`];
  for (const [k, v] of Object.entries(fields)) {
    if (!v) continue;
    lines.push(`${indent}  ${k}: |-`, ...v.split('\n').map((l) => `${indent}    ${l}`));
  }
  lines.push(`${indent}  ...`);
  return lines.join('\n');
}

/** The TAP subtest of one scenario run: a test point per stage and expectation. */
function tapSubtest(n: number, s: ScenarioCell, o: Awaited<ReturnType<typeof runScenario>>): string {
  const r = o.result;
  const checks = scenarioAssertions(s, o);
  const out = [`# Subtest: scenario ${s.name}`];
  checks.forEach((c, i) => {
    out.push(`    ${c.ok ? 'ok' : 'not ok'} ${i + 1} - ${c.name}`);
    if (!c.ok && c.found) out.push(yamlBlock({ found: c.found }, '    '));
  });
  out.push(`    1..${checks.length}`);
  const ok = checks.every((c) => c.ok);
  out.push(`${ok ? 'ok' : 'not ok'} ${n} - scenario ${s.name} # time=${Math.round(r.wallMs)}ms`);
  const ledger = r.ledger.map((e) => `${e.method} ${e.host ?? ''}${e.url} → ${e.status}`).join('; ') || 'empty';
  if (!ok) out.push(yamlBlock({ stages: formatStageTable(r.stages, r.failure), console_tail: r.consoleText.split('\n').slice(-25).join('\n'), ledger, artifacts: r.artifactsDir }, ''));
  return out.join('\n');
}

/**
 * `bootchain test`: the project's scenarios as tests. TAP 14 on stdout by default (a subtest per scenario, a
 * test point per stage and expectation, the stage table and console tail of a failure), `--reporter junit`
 * for JUnit XML; progress on stderr. Exit 0 all passed, 1 a scenario failed, 2 bad input or an errored boot.
 */
export async function runTest(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      reporter: { type: 'string', default: 'tap' },
      'reporter-file': { type: 'string' },
      jobs: { type: 'string' },
    },
  });
  const reporter = values.reporter as (typeof REPORTERS)[number];
  if (!REPORTERS.includes(reporter)) throw new BootchainError('USAGE', `--reporter must be ${REPORTERS.join(' or ')}, got "${values.reporter}"`, 'tap (the default) or junit');
  const jobs = parseJobs(values.jobs);
  const cells = values.scenario?.length ? (await Promise.all(values.scenario.map((n) => loadScenarioCells(n)))).flat() : await loadAllCells();
  const chosen = cells.filter((s) => (values.tag ?? []).every((tag) => s.def.tags?.includes(tag)));
  if (chosen.length === 0) throw new BootchainError('NO_SCENARIOS', values.tag?.length ? `no scenario matches ${values.tag.map((t) => `--tag ${t}`).join(' ')}` : 'the scenarios folder holds no scenario', 'add a <name>.ts file with `export default defineScenario({...})` (npx bootchain init writes one)');
  const write = values['reporter-file'] ? null : io.out;
  const tap: string[] = ['TAP version 14'];
  if (reporter === 'tap') write?.(tap[0]!);
  const summaries = new Map<string, RunSummaryEntry>();
  let n = 0;
  let failed = 0;
  let errored = 0;
  const interrupted = await withInterrupt(io, async (signal) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chosen.length && !signal.aborted) {
        const s = chosen[next++]!;
        io.err(`▶ ${s.name}: ${s.def.description}`);
        const o = await runScenario(s, { signal, onStage: (st) => io.err(`  ${s.name}  ${formatStageRow(st)}  ${st.evidence[0] ?? ''}`) });
        const r = o.result;
        const ok = o.ok && scenarioAssertions(s, o).every((c) => c.ok);
        if (!ok && r.verdict === 'error') errored++;
        else if (!ok) failed++;
        io.err(`${ok ? '✔' : '✘'} ${s.name} (${(r.wallMs / 1000).toFixed(2)} s) artifacts: ${r.artifactsDir}`);
        const sub = tapSubtest(++n, s, o);
        tap.push(sub);
        if (reporter === 'tap') write?.(sub);
        summaries.set(s.name, { scenario: s.name, ok, problems: o.problems, verdict: r.verdict, failure: r.failure, artifacts: r.artifactsDir, wallMs: r.wallMs, stages: r.stages.map((st) => ({ id: st.id, status: st.status, guestMs: st.guestMs })) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, chosen.length) }, worker));
    return 0;
  });
  tap.push(`1..${n}`);
  if (reporter === 'tap') write?.(`1..${n}`);
  const report = reporter === 'tap' ? tap.join('\n') + '\n' : toJUnit(chosen.map((s) => summaries.get(s.name)).filter((x) => x !== undefined));
  if (values['reporter-file']) await writeFile(values['reporter-file'], report);
  else if (reporter === 'junit') io.out(report);
  if (interrupted !== 0) return interrupted;
  io.err(`${n - failed - errored} passed, ${failed} failed, ${errored} errored`);
  return errored ? 2 : failed ? 1 : 0;
}
