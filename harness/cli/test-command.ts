import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import { loadAllCells, loadScenarioCells } from '../scenario/catalog.ts';
import type { ScenarioCell } from '../scenario/cells.ts';
import { runScenario } from '../scenario/run-scenario.ts';
import { ledgerLine, scenarioAssertions } from '../scenario/assertions.ts';
import { formatStageRow } from '../stages/index.ts';
import { toJUnit, type RunSummaryEntry } from '../report/run-summary.ts';
import { TapWriter } from '../report/tap.ts';
import { parseJobs } from './run-command.ts';
import { longestFirst } from '../scenario/shard.ts';
import { withInterrupt } from './interrupt.ts';
import type { CliIo } from './io.ts';
import { rememberDuration, rememberedDurations } from '../scenario/durations.ts';

const REPORTERS = ['tap', 'junit'] as const;

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
  // TAP 14 (the same writer and assertions as `bootchain run --tap`), streamed when it goes to stdout.
  let tapText = '';
  const tap = new TapWriter((text) => {
    tapText += text;
    if (reporter === 'tap') write?.(text.replace(/\n$/, ''));
  });
  const summaries = new Map<string, RunSummaryEntry>();
  let n = 0;
  let failed = 0;
  let errored = 0;
  // Several jobs: the longest cells first, as they last took here (see `bootchain run`).
  const order = jobs > 1 ? longestFirst(chosen, (s) => s.name, await rememberedDurations()) : chosen;
  const interrupted = await withInterrupt(io, async (signal) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < order.length && !signal.aborted) {
        const s = order[next++]!;
        io.err(`▶ ${s.name}: ${s.def.description}`);
        const o = await runScenario(s, { signal, onStage: (st) => io.err(`  ${s.name}  ${formatStageRow(st)}  ${st.evidence[0] ?? ''}`) });
        const r = o.result;
        if (!signal.aborted) await rememberDuration(s.name, r.wallMs);
        const checks = scenarioAssertions(s, o);
        const ok = o.ok && checks.every((c) => c.ok);
        if (!ok && r.verdict === 'error') errored++;
        else if (!ok) failed++;
        io.err(`${ok ? '✔' : '✘'} ${s.name} (${(r.wallMs / 1000).toFixed(2)} s) artifacts: ${r.artifactsDir}`);
        n++;
        tap.subtest(`scenario ${s.name}`, checks, [`ledger: ${ledgerLine(o)}`], r.wallMs);
        summaries.set(s.name, { scenario: s.name, ok, problems: o.problems, verdict: r.verdict, failure: r.failure, artifacts: r.artifactsDir, wallMs: r.wallMs, stages: r.stages.map((st) => ({ id: st.id, status: st.status, guestMs: st.guestMs })) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, chosen.length) }, worker));
    return 0;
  });
  tap.end();
  const report = reporter === 'tap' ? tapText : toJUnit(chosen.map((s) => summaries.get(s.name)).filter((x) => x !== undefined));
  if (values['reporter-file']) await writeFile(values['reporter-file'], report);
  else if (reporter === 'junit') io.out(report);
  if (interrupted !== 0) return interrupted;
  io.err(`${n - failed - errored} passed, ${failed} failed, ${errored} errored`);
  return errored ? 2 : failed ? 1 : 0;
}
