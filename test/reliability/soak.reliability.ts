import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { DEFAULT_IMG, ensureDefaultImage, ROOT } from './fixtures/cli.ts';

/**
 * Resource bounds: N consecutive boots in one Node process through the library API (bootImage), the
 * process's heap (after a full GC), RSS and open file descriptors (/proc/self/fd) sampled after each.
 * N is 30 here (BOOTCHAIN_SOAK_BOOTS=100, or `npm run test:reliability -- --soak-boots 100`, for the full figure).
 */

const BOOTS = Number(process.env['BOOTCHAIN_SOAK_BOOTS'] ?? 30);
/**
 * Heap growth allowed per boot over the second half (least-squares slope). What the heap gains per boot early
 * on is V8's own warm-up (a heap-snapshot diff of boots 2 and 20: feedback vectors, baseline code, inline
 * caches; plain objects +11 KB in all): a leaked console, timeline or ledger per boot would be far more.
 */
const HEAP_SLOPE_BYTES = 64 * 1024;
/** RSS growth allowed from the middle to the end (the allocator keeps and returns pages in chunks). */
const RSS_GROWTH_BYTES = 40 * 1024 * 1024;

interface Sample {
  i: number;
  verdict: string;
  rss: number;
  heapUsed: number;
  fds: number;
  owners: number;
  signalListeners: number;
}

const slope = (xs: number[], ys: number[]): number => {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const num = xs.reduce((a, x, k) => a + (x - mx) * (ys[k]! - my), 0);
  const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

t.test(`${BOOTS} consecutive boots in one process: heap, RSS and file descriptors stay flat`, async (t) => {
  await ensureDefaultImage(join(tmpdir(), 'bootchain-soak-build'));
  const work = mkdtempSync(join(tmpdir(), 'soak-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const r = await execa(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'test/reliability/fixtures/soak-boots.ts'), DEFAULT_IMG, String(BOOTS), work], { cwd: ROOT, reject: false, env: { TMPDIR: work } });
  const samples = String(r.stdout).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample);
  t.equal(r.exitCode, 0, `the soak process ended cleanly: ${String(r.stderr).slice(-1500)}`);
  const boots = samples.filter((s) => s.i > 0);
  t.equal(boots.length, BOOTS, `${BOOTS} boots ran`);
  t.same(boots.filter((s) => s.verdict !== 'pass').map((s) => `#${s.i}: ${s.verdict}`), [], 'every boot passed');
  if (boots.length < 4) return;
  const half = boots.slice(Math.floor(boots.length / 2));
  const heapSlope = slope(half.map((s) => s.i), half.map((s) => s.heapUsed));
  const rssGrowth = median(boots.slice(-5).map((s) => s.rss)) - median(half.slice(0, 5).map((s) => s.rss));
  const first = boots[0]!;
  const last = boots.at(-1)!;
  t.comment(`heap after boot 1: ${mib(first.heapUsed)}, after boot ${last.i}: ${mib(last.heapUsed)}; second-half slope ${(heapSlope / 1024).toFixed(1)} KiB/boot`);
  t.comment(`RSS after boot 1: ${mib(first.rss)}, after boot ${last.i}: ${mib(last.rss)}; growth over the second half (medians of 5): ${mib(rssGrowth)}`);
  t.comment(`open fds before: ${samples[0]!.fds}, after boot 1: ${first.fds}, after boot ${last.i}: ${last.fds}`);
  t.ok(heapSlope < HEAP_SLOPE_BYTES, `heap grows less than ${HEAP_SLOPE_BYTES / 1024} KiB per boot over the second half (${(heapSlope / 1024).toFixed(1)} KiB/boot)`);
  t.ok(rssGrowth < RSS_GROWTH_BYTES, `RSS grows less than ${mib(RSS_GROWTH_BYTES)} over the second half (${mib(rssGrowth)})`);
  t.same([...new Set(boots.map((s) => s.owners))], [0], 'no owner (QEMU, stub, namespace) is still registered with the reaper after a boot');
  t.ok(Math.max(...boots.map((s) => s.signalListeners)) <= samples[0]!.signalListeners, 'no SIGINT listener is left behind by a boot');
  t.ok(Math.max(...boots.map((s) => s.fds)) <= samples[0]!.fds, `file descriptors back to the baseline after every boot (before: ${samples[0]!.fds}; after each: ${[...new Set(boots.map((s) => s.fds))].join(', ')})`);
});
