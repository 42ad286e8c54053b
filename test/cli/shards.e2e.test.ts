// `bootchain run --shard I/N` across three "runners" runs every scenario exactly once, and `--jobs 2` runs them
// concurrently with the summary in scenario order.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';
import { makeTemp, rmTemp, runCli, runFailures } from './fixtures/cli-run.ts';
import { consumeJUnit } from '../fixtures/junit-consumer.ts';

const work = makeTemp('shards');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');

t.test('three shards of the network scenarios together run each exactly once', async (t) => {
  const all = await runCli(['list'], { artifacts });
  t.equal(all.exitCode, 0);
  const runs = await Promise.all([1, 2, 3].map((i) => runCli(['run', '--tag', 'network', '--shard', `${i}/3`, '--jobs', '1', '--json'], { artifacts })));
  const names = runs.flatMap((r, i) => {
    t.equal(r.exitCode, 0, `shard ${i + 1}/3 passes:\n${runFailures(r.stdout, r.stderr)}`);
    t.match(r.stderr, new RegExp(`shard ${i + 1}/3: \\d+ of \\d+ scenarios`));
    return (JSON.parse(r.stdout) as Array<{ scenario: string }>).map((x) => x.scenario);
  });
  const whole = await runCli(['run', '--tag', 'network', '--jobs', '2', '--json'], { artifacts });
  t.equal(whole.exitCode, 0, `the unsharded run passes:\n${runFailures(whole.stdout, whole.stderr)}`);
  const unsharded = (JSON.parse(whole.stdout) as Array<{ scenario: string }>).map((x) => x.scenario);
  t.same([...names].sort(), [...unsharded].sort(), 'the shards ran the same scenarios as one unsharded run');
  t.equal(new Set(names).size, names.length, 'no scenario ran twice');
  t.same(unsharded, [...unsharded].sort(), 'with 2 jobs the summary is still in scenario order');
  t.match(whole.stderr, /\(2 jobs\)/);
  // merge-reports: the shards' summaries give the same totals as the unsharded run, and one JUnit file.
  const dir = join(work, 'shards');
  mkdirSync(dir, { recursive: true });
  runs.forEach((r, i) => writeFileSync(join(dir, `shard-${i + 1}.json`), r.stdout));
  const merged = await runCli(['merge-reports', dir, '--junit', join(work, 'junit.xml'), '--json', join(work, 'summary.json'), '--html', join(work, 'index.html')], { artifacts });
  t.equal(merged.exitCode, 0, merged.all);
  t.match(merged.stdout, new RegExp(`^${unsharded.length} scenarios: ${unsharded.length} passed, 0 failed, 0 errored`));
  // The merged JUnit as a real consumer reads it: one testcase per scenario, all passed, stages as properties.
  const [suite] = await consumeJUnit(join(work, 'junit.xml'));
  t.match(suite, { tests: unsharded.length, failures: 0, errors: 0 });
  t.same(suite!.cases.map((c) => c.name), [...unsharded].sort(), 'one JUnit testcase per scenario');
  const statusOf = new Map((JSON.parse(whole.stdout) as Array<{ scenario: string; stages: Array<{ id: string; status: string }> }>).map((x) => [x.scenario, x.stages.find((st) => st.id === 'chain')?.status]));
  for (const c of suite!.cases) t.equal(c.properties['stage.chain']?.split(' ')[0], statusOf.get(c.name), `${c.name}: the chain stage's status as a property`);
  // The HTML index links every scenario's own report.
  const index = readFileSync(join(work, 'index.html'), 'utf8');
  const links = [...index.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)];
  t.same(links.map((m) => m[2]), [...unsharded].sort(), 'the index links each scenario');
  for (const m of links) t.ok(existsSync(resolve(dirname(join(work, 'index.html')), decodeURIComponent(m[1]!))), `${m[2]}: the link points at its report.html`);
});

t.test('bad --jobs and --shard are usage errors (exit 2) before anything runs', async (t) => {
  for (const args of [['--jobs', '0'], ['--shard', '4/3'], ['--durations', join(work, 'missing.json')]]) {
    const r = await runCli(['run', '--tag', 'network', ...args], { artifacts });
    t.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    t.match(r.stderr, /USAGE/);
  }
});
