import t from 'tap';
import { parseShard, selectShard } from '../../harness/scenario/shard.ts';

const names = Array.from({ length: 41 }, (_, i) => `scenario-${String(i).padStart(2, '0')}`);

t.test('shards: every cell exactly once, whatever the order the cells come in', async (t) => {
  for (const total of [1, 2, 3, 5]) {
    const seen = new Map<string, number>();
    for (let index = 1; index <= total; index++) {
      for (const n of selectShard([...names].reverse(), (x) => x, { index, total })) seen.set(n, (seen.get(n) ?? 0) + 1);
    }
    t.same([...seen.keys()].sort(), names, `${total} shards cover every cell`);
    t.ok([...seen.values()].every((c) => c === 1), `${total} shards: no cell twice`);
    t.same(selectShard(names, (x) => x, { index: 1, total }), selectShard([...names].reverse(), (x) => x, { index: 1, total }).sort(), 'deterministic');
  }
});

t.test('with recorded durations, shards are balanced by time', async (t) => {
  const durations = Object.fromEntries(names.map((n, i) => [n, i === 0 ? 60_000 : 1_000]));
  const loads = [1, 2, 3].map((index) => selectShard(names, (x) => x, { index, total: 3 }, durations).reduce((a, n) => a + durations[n]!, 0));
  t.same(loads.reduce((a, b) => a + b, 0), 100_000, 'all time accounted for');
  t.ok(Math.max(...loads) - Math.min(...loads) <= 60_000 - 20_000, `the long cell gets a shard nearly to itself: ${loads.join(', ')}`);
  const one = selectShard(names, (x) => x, { index: 1, total: 3 }, durations);
  t.same(one, ['scenario-00'], 'the 60 s cell fills one shard alone');
});

t.test('--shard parsing names the flag', async (t) => {
  t.same(parseShard('2/3'), { index: 2, total: 3 });
  t.equal(parseShard(undefined), null);
  for (const bad of ['0/3', '4/3', '1', 'a/b', '1/0']) t.throws(() => parseShard(bad), { code: 'USAGE', message: /--shard must be I\/N/ }, bad);
});
