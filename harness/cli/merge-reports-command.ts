import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import type { CliIo } from './io.ts';
import { locateReports, renderRunIndex, toJUnit, type RunSummaryEntry } from '../report/run-summary.ts';


async function summaryFiles(path: string): Promise<string[]> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new BootchainError('USAGE', `merge-reports: ${path} does not exist`, 'pass the files written by `bootchain run --json > FILE` (or folders holding them)');
  if (!st.isDirectory()) return [path];
  return (await readdir(path)).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f));
}

/**
 * `bootchain merge-reports FILE|DIR... [--junit FILE] [--json FILE] [--html FILE] [--artifacts-under DIR]...`:
 * one summary, one JUnit file and one HTML index from the shards' summaries.
 */
export async function runMergeReports(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { junit: { type: 'string' }, json: { type: 'string' }, html: { type: 'string' }, 'artifacts-under': { type: 'string', multiple: true } } });
  if (positionals.length === 0) throw new BootchainError('USAGE', 'merge-reports needs the shards\' summaries (files or folders)', 'e.g. bootchain merge-reports shards/ --junit junit.xml --json summary.json --html index.html');
  const entries: RunSummaryEntry[] = [];
  for (const p of positionals) {
    for (const f of await summaryFiles(p)) {
      let data: unknown;
      try {
        data = JSON.parse(await readFile(f, 'utf8'));
      } catch (e) {
        throw new BootchainError('USAGE', `merge-reports: ${f} is not JSON: ${(e as Error).message}`, 'pass the stdout of `bootchain run --json`');
      }
      if (!Array.isArray(data) || data.some((x) => typeof x?.scenario !== 'string')) throw new BootchainError('USAGE', `merge-reports: ${f} is not a \`bootchain run --json\` summary (an array of { scenario, ok, … })`, 'pass the stdout of `bootchain run --json`');
      entries.push(...(data as RunSummaryEntry[]));
    }
  }
  const dup = entries.map((e) => e.scenario).filter((n, i, a) => a.indexOf(n) !== i);
  if (dup.length) throw new BootchainError('MERGE_DUPLICATE', `merge-reports: ${[...new Set(dup)].join(', ')} ran in more than one shard`, 'give each shard the same N and a different I (--shard I/N)');
  entries.sort((a, b) => (a.scenario < b.scenario ? -1 : 1));
  const failed = entries.filter((e) => !e.ok && e.verdict !== 'error').length;
  const errored = entries.filter((e) => !e.ok && e.verdict === 'error').length;
  if (values.junit) await writeFile(values.junit, toJUnit(entries));
  if (values.json) await writeFile(values.json, JSON.stringify(entries, null, 2) + '\n');
  if (values.html) await writeFile(values.html, renderRunIndex(entries, locateReports(entries, values['artifacts-under'] ?? []), values.html));
  io.out(`${entries.length} scenarios: ${entries.length - failed - errored} passed, ${failed} failed, ${errored} errored`);
  return errored ? 2 : failed ? 1 : 0;
}
