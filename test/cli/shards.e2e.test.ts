// `bootchain run --shard I/N` across three "runners" runs every scenario exactly once, and `--jobs 2` runs them
// concurrently with the summary in scenario order.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { makeTemp, rmTemp, runCli } from './fixtures/cli-run.ts';

const work = makeTemp('shards');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');

t.test('three shards of the network scenarios together run each exactly once', async (t) => {
  const all = await runCli(['list'], { artifacts });
  t.equal(all.exitCode, 0);
  const runs = await Promise.all([1, 2, 3].map((i) => runCli(['run', '--tag', 'network', '--shard', `${i}/3`, '--jobs', '1', '--json'], { artifacts })));
  const names = runs.flatMap((r, i) => {
    t.equal(r.exitCode, 0, `shard ${i + 1}/3 passes:\n${r.stderr.slice(-1500)}`);
    t.match(r.stderr, new RegExp(`shard ${i + 1}/3: \\d+ of \\d+ scenarios`));
    return (JSON.parse(r.stdout) as Array<{ scenario: string }>).map((x) => x.scenario);
  });
  const whole = await runCli(['run', '--tag', 'network', '--jobs', '2', '--json'], { artifacts });
  t.equal(whole.exitCode, 0, whole.stderr.slice(-1500));
  const unsharded = (JSON.parse(whole.stdout) as Array<{ scenario: string }>).map((x) => x.scenario);
  t.same([...names].sort(), [...unsharded].sort(), 'the shards ran the same scenarios as one unsharded run');
  t.equal(new Set(names).size, names.length, 'no scenario ran twice');
  t.same(unsharded, [...unsharded].sort(), 'with 2 jobs the summary is still in scenario order');
  t.match(whole.stderr, /\(2 jobs\)/);
  // merge-reports: the shards' summaries give the same totals as the unsharded run, and one JUnit file.
  const dir = join(work, 'shards');
  mkdirSync(dir, { recursive: true });
  runs.forEach((r, i) => writeFileSync(join(dir, `shard-${i + 1}.json`), r.stdout));
  const merged = await runCli(['merge-reports', dir, '--junit', join(work, 'junit.xml'), '--json', join(work, 'summary.json')], { artifacts });
  t.equal(merged.exitCode, 0, merged.all);
  t.match(merged.stdout, new RegExp(`^${unsharded.length} scenarios: ${unsharded.length} passed, 0 failed, 0 errored`));
  t.equal((readFileSync(join(work, 'junit.xml'), 'utf8').match(/<testcase /g) ?? []).length, unsharded.length, 'one JUnit testcase per scenario');
});

t.test('bad --jobs and --shard are usage errors (exit 2) before anything runs', async (t) => {
  for (const args of [['--jobs', '0'], ['--shard', '4/3'], ['--durations', join(work, 'missing.json')]]) {
    const r = await runCli(['run', '--tag', 'network', ...args], { artifacts });
    t.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    t.match(r.stderr, /USAGE/);
  }
});
