import t from 'tap';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { compareWithBaseline, formatBaselineTable, readBaseline, stageDurations, toBaseline, writeBaseline } from '../../harness/report/baseline.ts';
import type { BaselineSource } from '../../harness/report/baseline.ts';

const IDS = ['bios', 'mbr', 'vbr', 'ipxe', 'network', 'chain'];
/** A synthetic report whose stages pass at the given guest ms (wall = guest + 50; null = not reached). */
function report(guest: Array<number | null>): BaselineSource {
  return {
    stages: IDS.map((id, i) => {
      const g = guest[i] ?? null;
      return { id, status: g === null ? 'not-reached' : 'passed', atMs: g === null ? null : g + 50, guestMs: g, evidence: [] };
    }),
    image: 'dist/x.img', scenario: 's', wallMs: 1000,
  };
}
const base = toBaseline(report([100, 100, 150, 2000, 40_000, 42_000]), { icountShift: 8, imageSha256: 'ab' });

t.test('durations use a running max (same-moment and out-of-order stages give 0, never negative)', async (t) => {
  const d = stageDurations([
    { id: 'a', status: 'passed', atMs: 10, guestMs: 300 },
    { id: 'b', status: 'passed', atMs: 20, guestMs: 250 },
    { id: 'c', status: 'not-reached', atMs: null, guestMs: null },
    { id: 'd', status: 'passed', atMs: 30, guestMs: 400 },
  ], 'guest');
  t.same([...d], [['a', 300], ['b', 0], ['d', 100]]);
});

t.test('identical run: ok, zero deltas; guest clock used', async (t) => {
  const c = compareWithBaseline(report([100, 100, 150, 2000, 40_000, 42_000]), base, { icountShift: 8 });
  t.ok(c.ok, formatBaselineTable(c));
  t.equal(c.clock, 'guest');
  t.ok(c.rows.every((r) => r.deltaMs === 0));
});

t.test('one slow stage flags only that stage, not the later ones', async (t) => {
  // ipxe takes 1000 ms longer; everything after it shifts by 1000 ms but keeps its duration.
  const c = compareWithBaseline(report([100, 100, 150, 3000, 41_000, 43_000]), base, { toleranceMs: 100, tolerancePct: 10 });
  t.notOk(c.ok);
  t.same(c.rows.filter((r) => r.slower).map((r) => r.stage), ['ipxe']);
  t.equal(c.rows.find((r) => r.stage === 'ipxe')?.deltaMs, 1000);
  t.match(formatBaselineTable(c), /ipxe\s+1850\s+2850\s+\+1000\s+2035\s+SLOWER/);
});

t.test('tolerance: max(ms, pct of the baseline duration); faster is fine', async (t) => {
  // network: baseline 38000 ms; +3000 is within 10 % (3800), +4000 is not.
  t.ok(compareWithBaseline(report([100, 100, 150, 2000, 43_000, 45_000]), base, { toleranceMs: 100, tolerancePct: 10 }).ok);
  t.notOk(compareWithBaseline(report([100, 100, 150, 2000, 44_000, 46_000]), base, { toleranceMs: 100, tolerancePct: 10 }).ok);
  // vbr: baseline 50 ms; +90 within 100 ms absolute.
  t.ok(compareWithBaseline(report([100, 100, 240, 2090, 40_090, 42_090]), base, { toleranceMs: 100, tolerancePct: 10 }).ok);
  t.ok(compareWithBaseline(report([50, 50, 60, 500, 1000, 1100]), base).ok);
  t.throws(() => compareWithBaseline(report([1, 2, 3, 4, 5, 6]), base, { toleranceMs: -1 }), { code: 'BASELINE_TOLERANCE_INVALID' });
});

t.test('a stage that no longer passes is missing; other shift is not comparable; no guest time falls back to wall', async (t) => {
  const c = compareWithBaseline(report([100, 100, 150, 2000, null, null]), base);
  t.same(c.rows.filter((r) => r.missing).map((r) => r.stage), ['network', 'chain']);
  t.notOk(c.ok);
  const s = compareWithBaseline(report([100, 100, 150, 2000, 40_000, 42_000]), base, { icountShift: 6 });
  t.notOk(s.ok);
  t.match(s.notes.join(), /shift 8.*shift 6/);
  const noGuest = report([100, 100, 150, 2000, 40_000, 42_000]);
  noGuest.stages.forEach((st) => (st.guestMs = null));
  const w = compareWithBaseline(noGuest, base);
  t.equal(w.clock, 'wall');
  t.ok(w.ok, formatBaselineTable(w));
});

t.test('write, read back, reject foreign files', async (t) => {
  const dir = t.testdir();
  const f = path.join(dir, 'b.json');
  const written = await writeBaseline(f, report([1, 2, 3, 4, 5, 6]), { icountShift: null });
  const b = await readBaseline(f);
  t.same(b, written);
  t.equal(b.mode, 'realtime');
  t.equal(b.icountShift, null);
  await writeFile(path.join(dir, 'other.json'), '{"stages": []}');
  await t.rejects(readBaseline(path.join(dir, 'other.json')), { code: 'BASELINE_INVALID' });
  await t.rejects(readBaseline(path.join(dir, 'none.json')), { code: 'BASELINE_UNREADABLE' });
});

t.test('a delay stamped partly on neighbouring stages is still flagged (cumulative view)', async (t) => {
  // +4 s in all, spread as +1.4 s on each of mbr, vbr, ipxe: no stage alone is over 2.5 s.
  const spread = compareWithBaseline(report([100, 1500, 2950, 6200, 44_200, 46_200]), base);
  t.notOk(spread.ok, formatBaselineTable(spread));
  t.same(spread.rows.filter((r) => r.slower).map((r) => r.stage), ['vbr'], 'flagged where the cumulative delay crossed the tolerance');
  // A jitter of ±1 s that cancels out is not a slowdown.
  t.ok(compareWithBaseline(report([1100, 1100, 150, 2000, 40_000, 42_000]), base).ok);
});
