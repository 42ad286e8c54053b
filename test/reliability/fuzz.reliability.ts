import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { FuzzCaseResult } from '../../harness/reliability/fuzz-run.ts';
import { DEFAULT_IMG, ensureDefaultImage, makeTemp, rmTemp, spawnCli } from './fixtures/cli.ts';
import { suiteSeed } from './fixtures/seeded.ts';

/**
 * The fuzz subset: `bootchain fuzz` on a seeded slice of cases (24 here; BOOTCHAIN_FUZZ_CASES=N for more,
 * the few-hundred-case figure is `npm run fuzz -- --cases 240`): lint and boot never crash, never hang
 * past their timeouts, and never pass with changed code unless the ledger proves the boot got through.
 */

const CASES = Number(process.env['BOOTCHAIN_FUZZ_CASES'] ?? 24);
const SEED = suiteSeed();

t.test(`fuzz: seed ${SEED}, ${CASES} cases: no crash, no hang, no unproven pass`, async (t) => {
  const work = makeTemp('fuzz');
  t.teardown(rmTemp(work));
  await ensureDefaultImage(join(work, 'artifacts-build'));
  const json = join(work, 'fuzz.json');
  // One boot at a time: the other reliability file runs its own beside it.
  const r = await spawnCli(['fuzz', '--seed', String(SEED), '--cases', String(CASES), '--jobs', '1', '--boot-timeout', '40', '--image', DEFAULT_IMG, '--work-dir', join(work, 'cases'), '--json', json], { tmp: join(work, 'tmp'), artifacts: join(work, 'artifacts'), timeoutMs: CASES * 120_000 });
  t.comment(String(r.stdout));
  const out = JSON.parse(readFileSync(json, 'utf8')) as { results: FuzzCaseResult[] };
  t.equal(out.results.length, CASES, 'every case ran');
  const bad = out.results.filter((x) => x.problems.length);
  t.same(bad.map((x) => `#${x.index} ${x.mutation}: ${x.problems.join('; ')} (kept in ${x.dir})`), [], 'no crash, hang or unproven pass');
  t.equal(r.exitCode, bad.length ? 1 : 0, `the command's exit says so: ${String(r.stderr).slice(-800)}`);
  // Not a test that passes on nothing: the cases broke real boots, in more than one way.
  const verdicts = new Set(out.results.map((x) => x.boot.verdict));
  t.ok(verdicts.has('fail'), `some mutations made the boot fail (verdicts: ${[...verdicts].join(', ')})`);
  t.ok(new Set(out.results.filter((x) => x.boot.verdict === 'fail').map((x) => x.boot.failedStage)).size >= 3, 'failures at three or more different stages');
  t.ok(out.results.some((x) => x.lint.errors.length > 0), 'lint flagged some cases');
});
