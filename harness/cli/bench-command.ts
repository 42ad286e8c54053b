import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import { buildImage } from '../image/index.ts';
import type { CliIo } from './io.ts';

/** `npm run bench`: speed figures, each printed as a ratio against a baseline measured in the same run. */
export async function runBench(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { only: { type: 'string', multiple: true }, runs: { type: 'string', default: '3' }, 'jobs-tag': { type: 'string' }, 'jobs-runs': { type: 'string', default: '1' } } });
  const parts = values.only ?? ['build', 'boot', 'entry', 'network', 'os', 'jobs', 'scenarios'];
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new BootchainError('USAGE', `--runs must be a positive integer, got "${values.runs}"`, 'e.g. --runs 3');
  for (const p of parts) if (!['build', 'boot', 'entry', 'network', 'os', 'jobs', 'scenarios'].includes(p)) throw new BootchainError('USAGE', `--only ${p}: no such bench part`, 'parts: build, boot, entry, network, os, jobs, scenarios');
  io.out(`bootchain bench — ${new Date().toISOString()} — ${(await import('node:os')).cpus().length} cores`);
  // The boot benches need the default image; build it (cached) first so its cost is not counted there.
  await buildImage({ name: 'hypersolid-cloud', gzip: true });
  if (parts.includes('build')) await (await import('../bench/bench-build.ts')).benchBuild(io.out, runs);
  if (parts.includes('boot')) await (await import('../bench/bench-boot.ts')).benchBoot(io.out, runs);
  if (parts.includes('entry')) await (await import('../bench/bench-entry.ts')).benchEntry(io.out, runs);
  // The whole suite by default (a few minutes a run: one run unless --jobs-runs N); --jobs-tag TAG narrows it.
  const jobsRuns = Number(values['jobs-runs']);
  if (!Number.isInteger(jobsRuns) || jobsRuns < 1) throw new BootchainError('USAGE', `--jobs-runs must be a positive integer, got "${values['jobs-runs']}"`, 'e.g. --jobs-runs 2');
  if (parts.includes('jobs')) await (await import('../bench/bench-jobs.ts')).benchJobs(io.out, jobsRuns, values['jobs-tag'] ?? null);
  if (parts.includes('os')) await (await import('../bench/bench-os.ts')).benchOs(io.out, runs);
  if (parts.includes('network')) await (await import('../bench/bench-network.ts')).benchNetwork(io.out, runs);
  if (parts.includes('scenarios')) await (await import('../bench/bench-scenarios.ts')).benchScenarios(io.out);
  return 0;
}
