import { BootchainError } from '../errors.ts';
import { parseArgs } from 'node:util';
import { loadAllCells, loadScenario, loadScenarioCells, listScenarioNames } from '../scenario/catalog.ts';
import { expandCells, matchesOnly, parseOnly, type CellValues } from '../scenario/cells.ts';
import { runScenario } from '../scenario/run-scenario.ts';
import { formatStageTable, formatStageRow } from '../stages/index.ts';
import { withInterrupt } from './interrupt.ts';
import { parseMemory } from './boot-command.ts';
import { BASELINE_FLAGS, applyBaseline, preflightBaseline } from './baseline-options.ts';
import { join, resolve } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { longestFirst, parseShard, selectShard } from '../scenario/shard.ts';
import { rememberDuration, rememberedDurations } from '../scenario/durations.ts';
import type { CliIo } from './io.ts';
import { locateReports, renderRunIndex, toJUnit, type RunSummaryEntry } from '../report/run-summary.ts';
import { TapWriter } from '../report/tap.ts';
import { ledgerLine, scenarioAssertions } from '../scenario/assertions.ts';
import { EXAMPLE_PREFIX, exampleScenariosDir, workspace } from '../project/workspace.ts';

export async function runRun(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: {
      scenario: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      junit: { type: 'string' },
      tap: { type: 'boolean', default: false },
      html: { type: 'string' },
      realtime: { type: 'boolean', default: false },
      memory: { type: 'string' },
      jobs: { type: 'string' },
      shard: { type: 'string' },
      only: { type: 'string' },
      'icount-shift': { type: 'string' },
      durations: { type: 'string' },
      'write-durations': { type: 'string' },
      // For run, --baseline / --write-baseline name a folder with one <scenario>.json per scenario.
      ...BASELINE_FLAGS,
    },
  });
  let only: CellValues | null;
  try {
    only = parseOnly(values.only);
  } catch (e) {
    throw new BootchainError('USAGE', (e as Error).message, 'e.g. --only diskBus=ide,nic=e1000');
  }
  const cells = values.scenario?.length ? (await Promise.all(values.scenario.map((n) => loadScenarioCells(n)))).flat() : await loadAllCells();
  // --only axis=value,…: the matrix cells matching every pair.
  const chosen = cells.filter((c) => matchesOnly(c, only));
  if (only && chosen.length === 0) throw new BootchainError('NO_SCENARIOS', `no matrix cell matches --only ${values.only}`, 'cells are named scenario[axis=value,…]: bootchain list shows them');
  // --tag negative: only the scenarios carrying every given tag.
  const tagged = chosen.filter((s) => (values.tag ?? []).every((tag) => s.def.tags?.includes(tag)));
  if (tagged.length === 0) throw new BootchainError('NO_SCENARIOS', `no scenario matches ${values.tag?.map((t) => `--tag ${t}`).join(' ')}`, 'tags in use: negative, network, os, chains');
  const jobs = parseJobs(values.jobs);
  const shard = parseShard(values.shard);
  const durations = values.durations ? await readDurations(values.durations) : {};
  // --shard I/N: this runner's deterministic slice (balanced by --durations when given).
  const scenarios = shard ? selectShard(tagged, (s) => s.name, shard, durations) : tagged;
  for (const s of scenarios) await preflightBaseline(values, (dir) => join(resolve(dir), `${s.name}.json`));
  const memoryMiB = parseMemory(values.memory);
  const shiftArg = values['icount-shift'];
  const icountShift = shiftArg === undefined ? undefined : Number(shiftArg);
  if (icountShift !== undefined && (!Number.isInteger(icountShift) || icountShift < 0 || icountShift > 10)) throw new BootchainError('USAGE', `--icount-shift must be an integer 0..10, got "${shiftArg}"`, 'the default is the scenario\'s (8 unless it says otherwise)');
  if (icountShift !== undefined && values.realtime) throw new BootchainError('USAGE', '--icount-shift and --realtime exclude each other', 'pick one');
  if (shard) io.err(`shard ${shard.index}/${shard.total}: ${scenarios.length} of ${tagged.length} scenarios${Object.keys(durations).length ? ' (balanced by recorded durations)' : ''}`);
  if (values.tap && values.json) throw new BootchainError('USAGE', '--tap and --json both write to stdout', 'pick one (--junit FILE and --html FILE can go with either)');
  // --tap: TAP 14 on stdout, one subtest per cell as it ends, the same assertions as the scenario tier of `npm test`.
  const tap = values.tap ? new TapWriter((text) => io.out(text.replace(/\n$/, ''))) : null;
  const outcomes = new Map<string, { ok: boolean; verdict: string; summary: RunSummaryEntry; ms: number }>();
  const interrupted = await withInterrupt(io, async (signal) => {
    // With one job the rows stream live; with several, each scenario's lines are printed together when it ends.
    const runOne = async (s: (typeof scenarios)[number]): Promise<void> => {
      if (signal.aborted) return;
      const lines: string[] = [];
      const say = jobs === 1 ? (l: string) => io.err(l) : (l: string) => lines.push(l);
      say(`▶ ${s.name}: ${s.def.description}`);
      const o = await runScenario(s, { signal, realtime: values.realtime, ...(memoryMiB ? { memoryMiB } : {}), ...(icountShift !== undefined ? { icountShift } : {}), onLog: (l) => say(`  ${l}`), onStage: (st) => say(`  ${formatStageRow(st)}  ${st.evidence[0] ?? ''}`) });
      const r = o.result;
      if (s.expectedFailure && r.verdict === 'pass') o.problems.unshift(`surprise pass: this cell was declared to fail (${s.expectedFailure}); drop its matrix.expectFail entry`);
      if (o.ok && r.verdict === 'pass' && !(await applyBaseline(values, r.report, r.icountShift, { out: say, err: say }, (dir) => join(resolve(dir), `${s.name}.json`)))) {
        o.ok = false;
        o.problems.push('slower than its baseline (see the table above)');
      }
      if (!o.ok) say(formatStageTable(r.stages, r.failure));
      if (o.ok) say(`✔ ${s.name} (${(r.wallMs / 1000).toFixed(2)} s) artifacts: ${r.artifactsDir}`);
      else say(`✘ ${s.name}:\n${o.problems.map((p) => `    - ${p}`).join('\n')}\n  artifacts: ${r.artifactsDir}`);
      if (lines.length) io.err(lines.join('\n'));
      tap?.subtest(`scenario ${s.name}`, scenarioAssertions(s, o), [`ledger: ${ledgerLine(o)}`], r.wallMs);
      if (!signal.aborted) await rememberDuration(s.name, r.wallMs);
      outcomes.set(s.name, { ok: o.ok, verdict: r.verdict, ms: r.wallMs, summary: { scenario: s.name, ok: o.ok, problems: o.problems, verdict: r.verdict, failure: r.failure, artifacts: r.artifactsDir, wallMs: r.wallMs, stages: r.stages.map((st) => ({ id: st.id, status: st.status, guestMs: st.guestMs })) } });
    };
    // Several jobs: the longest cells first (as they last took here; --durations FILE overrides), so no job
    // is left alone with a long cell at the end. One job: scenario order, as listed.
    const order = jobs > 1 ? longestFirst(scenarios, (s) => s.name, { ...(await rememberedDurations()), ...durations }) : scenarios;
    await pool(order, jobs, runOne);
    return 0;
  });
  if (interrupted !== 0) return interrupted;
  // The final summary is in scenario order, however the runs interleaved.
  const done = scenarios.map((s) => outcomes.get(s.name)).filter((x) => x !== undefined);
  const failed = done.filter((x) => !x.ok && x.verdict !== 'error').length;
  const errored = done.filter((x) => !x.ok && x.verdict === 'error').length;
  if (values['write-durations']) await writeFile(values['write-durations'], JSON.stringify(Object.fromEntries(scenarios.flatMap((s) => (outcomes.has(s.name) ? [[s.name, Math.round(outcomes.get(s.name)!.ms)]] : []))), null, 2) + '\n');
  tap?.end();
  const summary = done.map((x) => x.summary);
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  // --junit FILE / --html FILE: the CI formats of this run (merge-reports makes the same from several shards).
  if (values.junit) await writeFile(values.junit, toJUnit(summary));
  if (values.html) await writeFile(values.html, renderRunIndex(summary, locateReports(summary, []), values.html));
  io.err(`${done.length - failed - errored} passed, ${failed} failed, ${errored} errored${jobs > 1 ? ` (${jobs} jobs)` : ''}`);
  return errored ? 2 : failed ? 1 : 0;
}

/** `--jobs N` (default: the config's `jobs`, else the number of cores). */
export function parseJobs(v: string | undefined): number {
  if (v === undefined) return workspace().config?.jobs ?? Math.max(1, availableParallelism());
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new BootchainError('USAGE', `--jobs must be a whole number 1..64, got "${v}"`, 'e.g. --jobs 2 (the default is the number of cores)');
  return n;
}

async function readDurations(file: string): Promise<Record<string, number>> {
  try {
    const d = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (typeof d !== 'object' || d === null || Object.values(d).some((x) => typeof x !== 'number')) throw new Error('not a { scenario: ms } object');
    return d as Record<string, number>;
  } catch (e) {
    throw new BootchainError('USAGE', `--durations ${file}: ${(e as Error).message}`, 'pass a file written by `bootchain run --write-durations FILE` ({ "scenario": ms, ... })');
  }
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

export async function runList(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { examples: { type: 'boolean', default: false } } });
  const ws = workspace();
  // In a project, --examples lists bootchain's own scenarios under the names they run by (bootchain:NAME).
  const examples = values.examples && ws.config !== null;
  const prefix = examples ? EXAMPLE_PREFIX : '';
  for (const n of await listScenarioNames(examples ? exampleScenariosDir() : undefined)) {
    const s = await loadScenario(prefix + n);
    io.out(`${(prefix + n).padEnd(28)} ${s.def.description}`);
    for (const c of s.def.matrix ? expandCells(s) : []) io.out(`  ${c.name}${c.expectedFailure ? ` (expected to fail: ${c.expectedFailure})` : ''}`);
  }
  return 0;
}
