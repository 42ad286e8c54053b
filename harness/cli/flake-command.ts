import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import { flakeTable, runFlake, summarizeFlake, type FlakeRun } from '../reliability/flake-run.ts';
import { loadAllCells, loadScenarioCells } from '../scenario/catalog.ts';
import { withInterrupt } from './interrupt.ts';
import type { CliIo } from './io.ts';

/**
 * `bootchain flake [--scenario NAME]... [--tag T]... [--runs N] [--jobs N] [--no-hog | --hog-only] [--json FILE]`: every
 * scenario N times, then N more beside a CPU hog; exit 0 when each gave the same verdict, failed stage and code
 * every time. --json is rewritten after every run, so a long check stopped early still leaves its figures.
 */
export async function runFlakeCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      runs: { type: 'string', default: '20' },
      jobs: { type: 'string', default: '1' },
      'no-hog': { type: 'boolean', default: false },
      'hog-only': { type: 'boolean', default: false },
      json: { type: 'string' },
      'work-dir': { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 2 || runs > 1000) throw new BootchainError('USAGE', `--runs must be a whole number 2..1000, got "${values.runs}"`, 'e.g. --runs 20');
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new BootchainError('USAGE', `--jobs must be a whole number 1..64, got "${values.jobs}"`, 'e.g. --jobs 2');
  const cells = values.scenario?.length ? (await Promise.all(values.scenario.map((n) => loadScenarioCells(n)))).flat() : await loadAllCells();
  const scenarios = cells.filter((s) => (values.tag ?? []).every((t) => s.def.tags?.includes(t)));
  if (scenarios.length === 0) throw new BootchainError('NO_SCENARIOS', 'no scenario matches', 'bootchain list shows them');
  if (values['no-hog'] && values['hog-only']) throw new BootchainError('USAGE', '--no-hog and --hog-only exclude each other', 'pick one (neither: N plain runs, then N beside the hog)');
  const hog = !values['no-hog'];
  const workDir = resolve(values['work-dir'] ?? 'artifacts/flake');
  await mkdir(workDir, { recursive: true });
  io.err(`flake: ${scenarios.length} scenario(s) × ${runs} runs${values['hog-only'] ? ' beside a CPU hog' : hog ? ' + the same beside a CPU hog' : ''}, ${jobs === 1 ? 'one boot at a time' : `${jobs} boots at a time`}; differing runs' artifacts kept in ${workDir}`);
  const t0 = Date.now();
  return withInterrupt(io, async (signal) => {
    const all: FlakeRun[] = [];
    let saved: Promise<void> = Promise.resolve();
    const save = (): Promise<void> => (values.json ? writeFile(values.json, JSON.stringify({ runs, jobs, hog, summaries: summarizeFlake(all), all }, null, 2) + '\n') : Promise.resolve());
    await runFlake({
      scenarios,
      runs,
      hog,
      hogOnly: values['hog-only'],
      jobs,
      artifactsRoot: workDir,
      signal,
      onRun: (r, done, total) => {
        all.push(r);
        saved = saved.then(save, save);
        io.err(`  [${done}/${total}] ${r.scenario}${r.hog ? ' (hog)' : ''}: ${r.verdict}${r.failedStage ? ` at ${r.failedStage} [${r.code}]` : ''}${r.ok ? '' : ` ✘ ${r.problems.join('; ')}`} (${(r.wallMs / 1000).toFixed(1)} s)`);
      },
    });
    await saved;
    const sums = summarizeFlake(all);
    io.out(flakeTable(sums));
    const unstable = sums.filter((s) => !s.stable);
    io.out(`\n${sums.length} scenario(s), ${all.length} runs in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${unstable.length ? `UNSTABLE: ${unstable.map((s) => s.scenario).join(', ')}` : 'every scenario gave the same verdict, failed stage and code every time'}`);
    await save();
    return unstable.length ? 1 : 0;
  });
}
