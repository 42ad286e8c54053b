import { BootchainError } from '../errors.ts';
import { parseArgs } from 'node:util';
import { loadAllScenarios, loadScenario, listScenarioNames } from '../scenario/catalog.ts';
import { runScenario } from '../scenario/run-scenario.ts';
import { formatStageTable, formatStageRow } from '../stages/index.ts';
import { withInterrupt } from './interrupt.ts';
import { parseMemory } from './boot-command.ts';
import { BASELINE_FLAGS, applyBaseline, preflightBaseline } from './baseline-options.ts';
import { join, resolve } from 'node:path';
import type { CliIo } from './io.ts';

export async function runRun(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: {
      scenario: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      realtime: { type: 'boolean', default: false },
      memory: { type: 'string' },
      // For run, --baseline / --write-baseline name a folder with one <scenario>.json per scenario.
      ...BASELINE_FLAGS,
    },
  });
  const chosen = values.scenario?.length ? await Promise.all(values.scenario.map((n) => loadScenario(n))) : await loadAllScenarios();
  // --tag negative: only the scenarios carrying every given tag.
  const scenarios = chosen.filter((s) => (values.tag ?? []).every((tag) => s.def.tags?.includes(tag)));
  if (scenarios.length === 0) throw new BootchainError('NO_SCENARIOS', `no scenario matches ${values.tag?.map((t) => `--tag ${t}`).join(' ')}`, 'tags in use: negative');
  for (const s of scenarios) await preflightBaseline(values, (dir) => join(resolve(dir), `${s.name}.json`));
  let failed = 0;
  let errored = 0;
  const summary: object[] = [];
  const memoryMiB = parseMemory(values.memory);
  const interrupted = await withInterrupt(io, async (signal) => {
    for (const s of scenarios) {
      if (signal.aborted) break;
      io.err(`▶ ${s.name}: ${s.def.description}`);
      // Live: one row per stage the moment it passes or fails; the full table only when something is off.
      const o = await runScenario(s, { signal, realtime: values.realtime, ...(memoryMiB ? { memoryMiB } : {}), onLog: (l) => io.err(`  ${l}`), onStage: (st) => io.err(`  ${formatStageRow(st)}  ${st.evidence[0] ?? ''}`) });
      const r = o.result;
      if (o.ok && r.verdict === 'pass' && !(await applyBaseline(values, r.report, r.icountShift, io, (dir) => join(resolve(dir), `${s.name}.json`)))) {
        o.ok = false;
        o.problems.push('slower than its baseline (see the table above)');
      }
      if (!o.ok) io.err(formatStageTable(r.stages, r.failure));
      if (o.ok) io.err(`✔ ${s.name} (${(r.wallMs / 1000).toFixed(2)} s) artifacts: ${r.artifactsDir}`);
      else {
        if (r.verdict === 'error') errored += 1;
        else failed += 1;
        io.err(`✘ ${s.name}:\n${o.problems.map((p) => `    - ${p}`).join('\n')}\n  artifacts: ${r.artifactsDir}`);
      }
      summary.push({ scenario: s.name, ok: o.ok, problems: o.problems, verdict: r.verdict, failure: r.failure, artifacts: r.artifactsDir });
    }
    return 0;
  });
  if (interrupted !== 0) return interrupted;
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  io.err(`${scenarios.length - failed - errored} passed, ${failed} failed, ${errored} errored`);
  return errored ? 2 : failed ? 1 : 0;
}

export async function runList(_args: string[], io: CliIo): Promise<number> {
  for (const n of await listScenarioNames()) {
    const s = await loadScenario(n);
    io.out(`${n.padEnd(28)} ${s.def.description}`);
  }
  return 0;
}
