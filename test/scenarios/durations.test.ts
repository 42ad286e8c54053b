// Parallel runs start the longest cells first, by the durations the cells last took here (remembered in the
// workspace cache); the scenario tier's files split the cells by the same record.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { rememberDuration, rememberedDurations } from '../../harness/scenario/durations.ts';
import { longestFirst, selectShard } from '../../harness/scenario/shard.ts';

const names = ['a', 'b', 'c', 'd', 'e'];
const id = (s: string): string => s;

t.test('longestFirst: by recorded duration, unknown cells as the median, ties in the given order', async (t) => {
  t.same(longestFirst(names, id, {}), names, 'no record: the given order');
  t.same(longestFirst(names, id, { a: 1000, b: 12000, c: 2000, d: 12000, e: 500 }), ['b', 'd', 'c', 'a', 'e']);
  // known: 500, 3000, 9000 → median 3000 for b and d (after c's 9000, tied with a, in the given order)
  t.same(longestFirst(names, id, { a: 3000, c: 9000, e: 500 }), ['c', 'a', 'b', 'd', 'e']);
  t.same(longestFirst(names, id, { zzz: 99 }), names, 'records of other cells only: the given order');
  t.same([...longestFirst(names, id, { c: 5 })].sort(), names, 'every item exactly once');
});

t.test('remembered per workspace cache, merged, a torn file read as none', async (t) => {
  const dir = t.testdir({});
  const before = process.env['BOOTCHAIN_CACHE'];
  process.env['BOOTCHAIN_CACHE'] = dir;
  t.teardown(() => {
    if (before === undefined) delete process.env['BOOTCHAIN_CACHE'];
    else process.env['BOOTCHAIN_CACHE'] = before;
  });
  t.same(await rememberedDurations(), {}, 'nothing yet');
  await Promise.all([rememberDuration('x', 1234.4), rememberDuration('y', 20), rememberDuration('x', 999.6)]);
  t.same(await rememberedDurations(), { x: 1000, y: 20 }, 'concurrent records of this process all land, the last one wins');
  const files = readdirSync(dir).filter((f) => /^durations-[0-9a-f]{12}\.json$/.test(f));
  t.equal(files.length, 1, `one record file for this scenarios folder: ${readdirSync(dir).join(', ')}`);
  const file = join(dir, files[0]!);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { x: 1000, y: 20 });
  writeFileSync(file, '{"x": 10');
  t.same(await rememberedDurations(), {}, 'a torn file: no record (the order falls back), no error');
  writeFileSync(file, '{"x": "slow"}');
  t.same(await rememberedDurations(), {}, 'a file of the wrong shape: no record');
});

t.test('the tier split with durations: balanced, and still every cell exactly once', async (t) => {
  const cells = Array.from({ length: 48 }, (_, i) => `cell-${String(i).padStart(2, '0')}`);
  const durations = Object.fromEntries(cells.map((c, i) => [c, i % 12 === 0 ? 12000 : 2000]));
  const parts = [1, 2].map((index) => selectShard(cells, id, { index, total: 2 }, durations));
  t.same([...parts[0]!, ...parts[1]!].sort(), cells, 'each cell in exactly one part');
  const load = parts.map((p) => p.reduce((n, c) => n + durations[c]!, 0));
  t.ok(Math.abs(load[0]! - load[1]!) <= 12000, `loads within one long cell of each other: ${load.join(' vs ')}`);
});
