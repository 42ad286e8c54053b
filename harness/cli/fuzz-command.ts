import { existsSync, readFileSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import type { DiskMap } from '../image/types.ts';
import { fuzzTables, runFuzz, type FuzzCaseResult } from '../reliability/fuzz-run.ts';
import { withInterrupt } from './interrupt.ts';
import type { CliIo } from './io.ts';

const int = (v: string | undefined, name: string, min: number, max: number, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new BootchainError('USAGE', `--${name} must be a whole number ${min}..${max}, got "${v}"`, `e.g. --${name} ${dflt}`);
  return n;
};

/**
 * `bootchain fuzz [--seed N] [--cases N] [--jobs N] [--boot-timeout S] [--image IMG] [--json FILE] [--keep] [--only I,J]` (or `--from FILE.jsonl`: the tables of an earlier run):
 * mutates the image's boot-critical regions (seeded, reproducible), lints and boots each case through the CLI,
 * and prints the counts by verdict and failed stage. Exit 0 when no case crashed, hung or passed unproven.
 */
export async function runFuzzCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      seed: { type: 'string' },
      cases: { type: 'string' },
      jobs: { type: 'string' },
      'boot-timeout': { type: 'string' },
      image: { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      only: { type: 'string' },
      'work-dir': { type: 'string' },
      from: { type: 'string' },
    },
  });
  if (values.from) {
    // The tables of an earlier (or interrupted) run, from its JSON lines.
    const results = readFileSync(values.from, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FuzzCaseResult);
    io.out(fuzzTables(results.sort((a, b) => a.index - b.index)));
    return results.some((r) => r.problems.length) ? 1 : 0;
  }
  const seed = int(values.seed, 'seed', 0, 2 ** 31 - 1, 1);
  const cases = int(values.cases, 'cases', 1, 100_000, 300);
  const jobs = int(values.jobs, 'jobs', 1, 16, 2);
  const bootTimeoutS = int(values['boot-timeout'], 'boot-timeout', 5, 600, 40);
  const image = resolve(values.image ?? 'dist/hypersolid-cloud.img');
  const mapPath = image.replace(/\.img$/, '.map.json');
  if (!existsSync(image) || !existsSync(mapPath)) throw new BootchainError('IMAGE_MISSING', `fuzz needs ${image} and its disk map ${mapPath}`, 'build it first: npx bootchain build (or pass --image of a built image with its .map.json)');
  const map = JSON.parse(readFileSync(mapPath, 'utf8')) as DiskMap;
  const only = values.only?.split(',').map((x) => int(x, 'only', 0, cases - 1, 0));
  const workDir = resolve(values['work-dir'] ?? `artifacts/fuzz-seed-${seed}`);
  if (values.json) await writeFile(`${values.json}l`, '');
  io.err(`fuzz: seed ${seed}, ${only ? `cases ${only.join(',')} of ` : ''}${cases} cases, ${jobs} job(s), boot --timeout ${bootTimeoutS}s; kept cases in ${workDir}`);
  const t0 = Date.now();
  return withInterrupt(io, async (signal) => {
    const results = await runFuzz({
      signal,
      image,
      map,
      seed,
      cases,
      jobs,
      bootTimeoutS,
      workDir,
      keep: values.keep,
      ...(only ? { only } : {}),
      onCase: (r, done, total) => {
        // Every case as it ends (JSON lines next to --json): a long run interrupted still has its figures.
        if (values.json) void appendFile(`${values.json}l`, JSON.stringify(r) + '\n');
        io.err(`  [${done}/${total}] #${r.index} ${r.mutation.slice(0, 90)} → lint ${r.lint.errors.length ? r.lint.errors.join(',') : 'clean'}; boot ${r.boot.verdict ?? 'no report'}${r.boot.failedStage ? ` at ${r.boot.failedStage} [${r.boot.failureCode}]` : ''} (${(r.boot.ms / 1000).toFixed(1)} s)${r.problems.length ? `  ✘ ${r.problems.join('; ')}` : ''}`);
      },
    });
    io.out(fuzzTables(results));
    io.out(`\nseed ${seed}, ${results.length} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s (${jobs} job(s)); replay one: bootchain fuzz --seed ${seed} --cases ${cases} --only I --keep`);
    if (values.json) await writeFile(values.json, JSON.stringify({ seed, cases, jobs, bootTimeoutS, image, results }, null, 2) + '\n');
    return results.some((r) => r.problems.length) ? 1 : 0;
  });
}
