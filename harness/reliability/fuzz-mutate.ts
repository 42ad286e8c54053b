import type { ByteRange, DiskMap } from '../image/types.ts';
import type { StageId } from '../stages/ladder.ts';
import { seededRandom } from './seeded-random.ts';

/** A boot-critical region of the default image: its bytes, the stage that runs or reads them, and whether they are code. */
export interface FuzzTarget {
  name: string;
  stage: StageId;
  /** Machine code the guest executes (a pass with these bytes changed needs the ledger's proof). */
  code: boolean;
  /** Disk byte ranges in logical order (a file's ranges in file order). */
  ranges: ByteRange[];
}

export type MutationKind = 'flip' | 'truncate-region' | 'truncate-image';

/** One fuzz case: what was changed, reproducible from (seed, index). */
export interface Mutation {
  index: number;
  target: string;
  stage: StageId;
  code: boolean;
  kind: MutationKind;
  /** flip: absolute offsets and the XOR masks applied; truncate-region: zeroed from `at` to the region's end; truncate-image: the image ends at `at`. */
  flips?: Array<{ at: number; xor: number }>;
  at?: number;
}

const span = (r: ByteRange[]): number => r.reduce((n, x) => n + (x.end - x.start), 0);

/** Logical offset within the ranges → absolute disk offset. */
function absolute(ranges: ByteRange[], logical: number): number {
  let rest = logical;
  for (const r of ranges) {
    if (rest < r.end - r.start) return r.start + rest;
    rest -= r.end - r.start;
  }
  throw new Error(`offset ${logical} is outside the region (${span(ranges)} bytes)`);
}

/** The regions the fuzzer mutates, read from the image's disk map (MBR code and table, GPT, VBR, SYSLINUX files, the lkrn header). */
export function fuzzTargets(map: DiskMap): FuzzTarget[] {
  const region = (pred: (r: DiskMap['regions'][number]) => boolean) => map.regions.find(pred)?.ranges ?? null;
  const mbr = region((r) => r.kind === 'mbr');
  const gptHeader = region((r) => r.kind === 'gpt-header');
  const gptEntries = region((r) => r.kind === 'gpt-entries');
  const vbr = region((r) => r.kind === 'vbr');
  const file = (name: string) => region((r) => r.kind === 'file' && r.name.endsWith(`/${name}`));
  const out: FuzzTarget[] = [];
  if (mbr) {
    out.push({ name: 'mbr-code', stage: 'mbr', code: true, ranges: [{ start: mbr[0]!.start, end: mbr[0]!.start + 440 }] });
    out.push({ name: 'mbr-table', stage: 'mbr', code: false, ranges: [{ start: mbr[0]!.start + 446, end: mbr[0]!.start + 512 }] });
  }
  // The GPT header's defined fields (92 bytes) and the first four entries (the rest are empty).
  if (gptHeader) out.push({ name: 'gpt-header', stage: 'gpt', code: false, ranges: [{ start: gptHeader[0]!.start, end: gptHeader[0]!.start + 92 }] });
  if (gptEntries) out.push({ name: 'gpt-entries', stage: 'gpt', code: false, ranges: [{ start: gptEntries[0]!.start, end: gptEntries[0]!.start + 4 * 128 }] });
  if (vbr) out.push({ name: 'vbr', stage: 'vbr', code: true, ranges: vbr });
  const sys = file('ldlinux.sys');
  if (sys) out.push({ name: 'ldlinux.sys', stage: 'ldlinux-sys', code: true, ranges: sys });
  const c32 = file('ldlinux.c32');
  if (c32) out.push({ name: 'ldlinux.c32', stage: 'ldlinux-c32', code: true, ranges: c32 });
  const conf = file('extlinux.conf') ?? file('syslinux.cfg');
  if (conf) out.push({ name: 'extlinux.conf', stage: 'config', code: false, ranges: conf });
  const lkrn = file('ipxe.lkrn');
  // The lkrn's boot sector and setup header (0x1f1…) and the start of its real-mode setup code: 1 KiB.
  if (lkrn) out.push({ name: 'lkrn-header', stage: 'ipxe', code: true, ranges: [{ start: lkrn[0]!.start, end: lkrn[0]!.start + Math.min(1024, lkrn[0]!.end - lkrn[0]!.start) }] });
  return out;
}

/** The case list for a seed: case i is the same on every machine and in every run. */
export function planMutations(targets: FuzzTarget[], seed: number, cases: number): Mutation[] {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const out: Mutation[] = [];
  for (let index = 0; index < cases; index++) {
    const t = targets[index % targets.length]!; // every region gets its share, in turn
    const size = span(t.ranges);
    const roll = rnd();
    const base = { index, target: t.name, stage: t.stage, code: t.code };
    if (roll < 0.6) {
      const n = 1 + int(8);
      const flips = Array.from({ length: n }, () => ({ at: absolute(t.ranges, int(size)), xor: 1 + int(255) }));
      out.push({ ...base, kind: 'flip', flips });
    } else if (roll < 0.85) {
      out.push({ ...base, kind: 'truncate-region', at: int(size) });
    } else {
      out.push({ ...base, kind: 'truncate-image', at: absolute(t.ranges, int(size)) });
    }
  }
  return out;
}

/** A one-line description of a mutation (for tables and logs). */
export function describeMutation(m: Mutation): string {
  if (m.kind === 'flip') return `${m.target}: ${m.flips!.length} byte(s) flipped at ${m.flips!.map((f) => `${f.at}^0x${f.xor.toString(16)}`).join(',')}`;
  if (m.kind === 'truncate-region') return `${m.target}: zeroed from logical byte ${m.at} to its end`;
  return `${m.target}: image cut at byte ${m.at}`;
}

/** Applies a mutation to an open image (a private copy); returns how many bytes really changed. */
export function applyMutation(m: Mutation, t: FuzzTarget, io: { read(at: number, n: number): Buffer; write(at: number, b: Buffer): void; truncate(size: number): void }): number {
  if (m.kind === 'flip') {
    let changed = 0;
    for (const f of m.flips!) {
      const b = io.read(f.at, 1);
      b[0] = b[0]! ^ f.xor;
      io.write(f.at, b);
      changed++;
    }
    return changed;
  }
  if (m.kind === 'truncate-image') {
    io.truncate(m.at!);
    return 1;
  }
  // truncate-region: the file (or region) keeps its first `at` bytes; the rest reads as zeros.
  let logical = 0;
  let changed = 0;
  for (const r of t.ranges) {
    const len = r.end - r.start;
    const from = Math.max(0, m.at! - logical);
    if (from < len) {
      const old = io.read(r.start + from, len - from);
      changed += old.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0);
      io.write(r.start + from, Buffer.alloc(len - from));
    }
    logical += len;
  }
  return changed;
}
