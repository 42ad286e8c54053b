import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import type { CliIo } from './io.ts';

/** One scenario's entry in a `bootchain run --json` summary. */
export interface RunSummaryEntry {
  scenario: string;
  ok: boolean;
  problems: string[];
  verdict: string;
  failure: { stage: string; code: string; message: string; hint: string } | null;
  artifacts: string;
  wallMs?: number;
  stages?: Array<{ id: string; status: string; guestMs: number | null }>;
}

const xml = (s: string): string => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML: one testcase per scenario, stages as properties, the failure's code/message/hint, the artifacts in system-out. */
export function toJUnit(entries: RunSummaryEntry[], name = 'bootchain'): string {
  const failures = entries.filter((e) => !e.ok && e.verdict !== 'error').length;
  const errors = entries.filter((e) => !e.ok && e.verdict === 'error').length;
  const secs = (ms?: number): string => ((ms ?? 0) / 1000).toFixed(3);
  const cases = entries.map((e) => {
    const props = (e.stages ?? []).map((s) => `        <property name="stage.${xml(s.id)}" value="${xml(`${s.status}${s.guestMs === null ? '' : ` @${Math.round(s.guestMs)} ms guest`}`)}"/>`).join('\n');
    const why = e.failure ? `[${e.failure.code}] at ${e.failure.stage}: ${e.failure.message}` : e.problems.join('; ');
    const body = e.ok
      ? ''
      : e.verdict === 'error'
        ? `      <error message="${xml(why)}" type="${xml(e.failure?.code ?? 'ERROR')}">${xml(e.problems.join('\n'))}</error>\n`
        : `      <failure message="${xml(why)}" type="${xml(e.failure?.code ?? 'EXPECTATION')}">${xml([...e.problems, e.failure ? `hint: ${e.failure.hint}` : ''].filter(Boolean).join('\n'))}</failure>\n`;
    return `    <testcase classname="${xml(name)}" name="${xml(e.scenario)}" time="${secs(e.wallMs)}">\n      <properties>\n${props}\n      </properties>\n${body}      <system-out>artifacts: ${xml(e.artifacts)}</system-out>\n    </testcase>`;
  });
  const total = entries.reduce((a, e) => a + (e.wallMs ?? 0), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(name)}" tests="${entries.length}" failures="${failures}" errors="${errors}" time="${secs(total)}">\n  <testsuite name="${xml(name)}" tests="${entries.length}" failures="${failures}" errors="${errors}" time="${secs(total)}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

async function summaryFiles(path: string): Promise<string[]> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new BootchainError('USAGE', `merge-reports: ${path} does not exist`, 'pass the files written by `bootchain run --json > FILE` (or folders holding them)');
  if (!st.isDirectory()) return [path];
  return (await readdir(path)).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f));
}

/** `bootchain merge-reports FILE|DIR... [--junit FILE] [--json FILE]`: one summary from the shards' summaries. */
export async function runMergeReports(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { junit: { type: 'string' }, json: { type: 'string' } } });
  if (positionals.length === 0) throw new BootchainError('USAGE', 'merge-reports needs the shards\' summaries (files or folders)', 'e.g. bootchain merge-reports shards/ --junit junit.xml --json summary.json');
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
  io.out(`${entries.length} scenarios: ${entries.length - failed - errored} passed, ${failed} failed, ${errored} errored`);
  return errored ? 2 : failed ? 1 : 0;
}
