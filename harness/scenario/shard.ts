import { BootchainError } from '../errors.ts';

/** One slice of a run: shard `index` (1-based) of `total`. */
export interface Shard {
  index: number;
  total: number;
}

/** Parses `--shard I/N` (1 ≤ I ≤ N), with an error naming the flag. */
export function parseShard(v: string | undefined, flag = '--shard'): Shard | null {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || !(total >= 1) || !(index >= 1) || index > total) throw new BootchainError('USAGE', `${flag} must be I/N with 1 ≤ I ≤ N, got "${v}"`, `e.g. ${flag} 2/3 runs the second of three slices`);
  return { index, total };
}

/**
 * The items of one shard, deterministically: with recorded durations (ms by name), longest first onto the
 * least-loaded shard (ties: the lower shard); without, round-robin over the names in order. Every item lands
 * in exactly one shard, whatever the order the items come in.
 */
export function selectShard<T>(items: readonly T[], nameOf: (t: T) => string, shard: Shard, durations: Readonly<Record<string, number>> = {}): T[] {
  const sorted = [...items].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  const known = Object.keys(durations).length > 0;
  const owner = new Map<string, number>();
  if (known) {
    const fallback = median(Object.values(durations));
    const byCost = longestFirst(sorted, nameOf, durations, fallback);
    const load = new Array<number>(shard.total).fill(0);
    for (const it of byCost) {
      let best = 0;
      for (let i = 1; i < shard.total; i++) if (load[i]! < load[best]!) best = i;
      load[best]! += durations[nameOf(it)] ?? fallback;
      owner.set(nameOf(it), best + 1);
    }
  } else sorted.forEach((it, i) => owner.set(nameOf(it), (i % shard.total) + 1));
  return items.filter((it) => owner.get(nameOf(it)) === shard.index);
}

/**
 * The items longest first by `durations`; an item with no record costs `fallback` (default: the median of
 * the items' known durations); equal ones keep their order. Without any record for the items, as given.
 */
export function longestFirst<T>(items: readonly T[], nameOf: (t: T) => string, durations: Readonly<Record<string, number>>, fallback?: number): T[] {
  const known = items.map(nameOf).flatMap((n) => (durations[n] === undefined ? [] : [durations[n]!]));
  if (known.length === 0) return [...items];
  const other = fallback ?? median(known);
  const cost = (t: T): number => durations[nameOf(t)] ?? other;
  return items.map((t, i) => ({ t, i })).sort((a, b) => cost(b.t) - cost(a.t) || a.i - b.i).map((x) => x.t);
}

function median(xs: number[]): number {
  if (xs.length === 0) return 1;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
