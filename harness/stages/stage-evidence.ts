import type { DiskRegions, ReadRole } from './disk-regions.ts';
import { describeFact, isLine, isRead, type Fact } from './facts.ts';
import { STAGE_IDS, type CoreStageId, type StageId } from './ladder.ts';

export type ScriptSource = 'embedded' | 'command line' | 'initrd' | 'autoboot' | null;

/** A console pattern matching `text` literally (for stages that wait for a piece of text). */
export function containsText(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** A later stage the scenario adds (e.g. "kernel", "init"), proved by a console line. */
export interface StageDef {
  id: StageId;
  title?: string;
  evidence: RegExp;
  /** No-progress timeout for this stage (ms). */
  noProgressMs?: number;
  /** The built-in stage it follows (default `chain`). */
  after?: StageId;
}

export interface EvidenceContext {
  facts: readonly Fact[];
  /** The disk map's regions (null: no map at all). Each stage checks for the regions it needs. */
  regions: DiskRegions | null;
  scriptSource: ScriptSource;
}

/**
 * One timeline: evidence for a stage counts only at or after `t`, the time of the evidence that passed
 * the stage before it. Every fact's `t` is QEMU's trace time (a console line's is when its text was
 * printed, not when its line break arrived), so console text and disk reads are ordered together.
 */
export interface Cursor {
  t: number;
}

/** What evaluating a stage found. */
export type StageOutcome =
  /** Its own evidence: `t` is the time of the latest piece (the stage's time). */
  | { kind: 'pass'; t: number; evidence: string[] }
  /** This image gives the stage no evidence source (e.g. no disk map for a silent stage): only a later stage can imply it. */
  | { kind: 'no-source'; why: string }
  /** The detected chain has no such stage (e.g. `gpt` on an MBR disk). */
  | { kind: 'skip'; why: string }
  /** Not (yet) seen. */
  | null;

export const pass = (t: number, evidence: string[]): StageOutcome => ({ kind: 'pass', t, evidence });

/** A fact's place on the timeline as seen from `from`: a line that began before `from` but ended after it counts at `from`. */
const at = (f: Fact, from: number): number => Math.max(f.t, from);

/**
 * Index of the earliest fact on the timeline at or after time `from` that satisfies pred, or -1 (ties: the
 * first to arrive). Earliest, not first to arrive: a line reaches us at its line break, after the disk reads
 * its code made since it began printing. A line counts if any of it was printed at or after `from`.
 */
function find(ctx: EvidenceContext, from: number, pred: (f: Fact) => boolean): number {
  let best = -1;
  for (let i = 0; i < ctx.facts.length; i++) {
    const f = ctx.facts[i]!;
    if (f.tEnd >= from && (best < 0 || at(f, from) < at(ctx.facts[best]!, from)) && pred(f)) best = i;
  }
  return best;
}

export const BANNER_RE = /^(SYS|EXT|ISO|PXE)LINUX \d/;
// ldlinux.sys prints "SYSLINUX 6.04 EDD " after its first sector and the rest only once it is loaded whole.
const FULL_BANNER_RE = /^(SYS|EXT|ISO|PXE)LINUX \d.*Copyright \(C\)/;
export const HARD_DISK_RE = /^Booting from Hard Disk/;
const LOADING_OK_RE = /^Loading \S+?\s*\.\.\.\s*ok/;
export const IPXE_START_RE = /iPXE initialising devices|^iPXE \S+ .*Network Boot Firmware/;
const CTRL_B_RE = /Press Ctrl-B for the iPXE command line/;
const CONFIGURED_RE = /^Configuring \(.*\.\s*ok\s*$/;
// iPXE prints a progress dot per step (more of them under time warp): "URL.............. ok". A gap in the
// dots is where its " [host]" note was erased (a terminal closes it; a console re-synced late may not).
const URL_OK_RE = /^(\S+?)\s*\.{3,}[.\s]*ok\s*$/;

const stageIndex = (id: StageId): number => (STAGE_IDS as readonly string[]).indexOf(id);

/** Steps in order on the timeline: each at or after the previous one. */
export function seq(ctx: EvidenceContext, from: Cursor, steps: { pred: (f: Fact) => boolean; role?: ReadRole }[]): StageOutcome {
  let t = from.t;
  const evidence: string[] = [];
  for (const s of steps) {
    const i = find(ctx, t, s.pred);
    if (i < 0) return null;
    const f = ctx.facts[i]!;
    evidence.push(describeFact(f, s.role));
    t = at(f, t);
  }
  return pass(t, evidence);
}

/** A printed line that proves code at or after `stage` ran (not blank, not a failure of an earlier stage). */
function printedBy(stage: CoreStageId) {
  return (f: Fact): boolean =>
    f.kind === 'line' && f.text.trim() !== '' && !BANNER_RE.test(f.text) &&
    (f.failure === null || (!f.failure.fallThrough && !f.failure.prompt && stageIndex(f.failure.stage) > stageIndex(stage)));
}

/** The regions a silent stage needs, or why this image gives it none. */
function missingRegions(ctx: EvidenceContext, roles: ReadRole[]): string | null {
  if (!ctx.regions) return 'no disk map of this image';
  const absent = roles.filter((r) => !ctx.regions!.has(r));
  return absent.length ? `the disk map has no ${absent.join(', ')} region (${ctx.regions.whyMissing(absent[0]!)})` : null;
}

const EVALUATORS: Record<CoreStageId, (ctx: EvidenceContext, from: Cursor) => StageOutcome> = {
  bios: (ctx, from) => seq(ctx, from, [{ pred: isLine(/SeaBIOS \(version/) }]),
  mbr: (ctx, from) => {
    const next: ReadRole = ctx.regions?.partitionTable === 'gpt' ? 'gpt-header' : 'vbr';
    const why = missingRegions(ctx, ['mbr', next]);
    if (why) return { kind: 'no-source', why };
    const h = find(ctx, from.t, isLine(HARD_DISK_RE));
    if (h < 0) return null;
    // SeaBIOS probes LBA 0 during POST too: the boot read is the one after "Booting from Hard Disk...".
    const hard = ctx.facts[h]!;
    const r = seq(ctx, { t: at(hard, from.t) }, [{ pred: isRead('mbr'), role: 'mbr' }, { pred: isRead(next), role: next }]);
    if (r?.kind !== 'pass') return null;
    return pass(r.t, [describeFact(hard), ...r.evidence]);
  },
  gpt: (ctx, from) => {
    if (ctx.regions && ctx.regions.partitionTable === 'mbr') return { kind: 'skip', why: 'MBR partition table: no GPT' };
    const why = missingRegions(ctx, ['gpt-entries', 'vbr']);
    if (why) return { kind: 'no-source', why };
    return seq(ctx, from, [{ pred: isRead('gpt-entries'), role: 'gpt-entries' }, { pred: isRead('vbr'), role: 'vbr' }]);
  },
  vbr: (ctx, from) => {
    const why = missingRegions(ctx, ['ldlinux-sys-first']);
    if (why) return { kind: 'no-source', why };
    return seq(ctx, from, [{ pred: isRead('ldlinux-sys-first'), role: 'ldlinux-sys-first' }]);
  },
  'ldlinux-sys': (ctx, from) => {
    const b = find(ctx, from.t, isLine(FULL_BANNER_RE, { complete: true }));
    if (b < 0) return null;
    const banner = ctx.facts[b]!;
    if (missingRegions(ctx, ['ldlinux-sys-rest'])) return pass(at(banner, from.t), [describeFact(banner), 'console only: the loader file (ldlinux.sys / isolinux.bin) is not in the disk map']);
    // The banner's first half is printed by sector 1, its rest once the whole file is read: the stage's time is that read.
    const r = find(ctx, from.t, isRead('ldlinux-sys-rest'));
    if (r < 0) return null;
    return pass(Math.max(at(ctx.facts[r]!, from.t), at(banner, from.t)), [describeFact(ctx.facts[r]!, 'ldlinux-sys-rest'), describeFact(banner)]);
  },
  'ldlinux-c32': (ctx, from) => {
    if (missingRegions(ctx, ['ldlinux-c32'])) {
      const i = find(ctx, from.t, (f) => printedBy('ldlinux-c32')(f) && !(f.kind === 'line' && FULL_BANNER_RE.test(f.text)));
      return i < 0 ? null : pass(at(ctx.facts[i]!, from.t), ['console only: ldlinux.c32 is not in the disk map', describeFact(ctx.facts[i]!)]);
    }
    const c = find(ctx, from.t, isRead('ldlinux-c32'));
    if (c < 0) return null;
    const cf = ctx.facts[c]!;
    const a = find(ctx, at(cf, from.t), (f) => f !== cf && ((f.kind === 'read' && f.roles.some((r) => r.role === 'config-file' || r.role === 'payload')) || printedBy('ldlinux-c32')(f)));
    if (a < 0) return null;
    return pass(at(ctx.facts[a]!, at(cf, from.t)), [describeFact(cf, 'ldlinux-c32'), `then ${describeFact(ctx.facts[a]!)}`]);
  },
  config: (ctx, from) => {
    const i = find(ctx, from.t, (f) => printedBy('config')(f) || isRead('payload')(f));
    return i < 0 ? null : pass(at(ctx.facts[i]!, from.t), [describeFact(ctx.facts[i]!, 'payload')]);
  },
  ipxe: (ctx, from) => seq(ctx, from, [{ pred: isLine(LOADING_OK_RE) }, { pred: isLine(IPXE_START_RE) }]),
  script: (ctx, from) => {
    const f = find(ctx, from.t, isLine(/^Features:/));
    if (f < 0) return null;
    // The next printed line (lines arrive in the order they were printed).
    let i = f + 1;
    while (i < ctx.facts.length && !(ctx.facts[i]!.kind === 'line' && (ctx.facts[i] as { text: string }).text.trim() !== '')) i++;
    if (i >= ctx.facts.length) return null;
    const fact = ctx.facts[i]!;
    const hint = ctx.scriptSource;
    if (fact.kind === 'line' && CTRL_B_RE.test(fact.text)) {
      const note = hint && hint !== 'autoboot' ? ` (the image's config suggested a script from ${hint}; it was not used)` : '';
      return pass(at(fact, from.t), [`source: autoboot${note}`, describeFact(fact)]);
    }
    return pass(at(fact, from.t), [`source: ${hint && hint !== 'autoboot' ? hint : 'script (embedded, command line or initrd)'}`, describeFact(fact)]);
  },
  network: (ctx, from) => {
    const i = find(ctx, from.t, (f) => isLine(CONFIGURED_RE, { complete: true })(f) || f.kind === 'request');
    if (i < 0) return null;
    const f = ctx.facts[i]!;
    return pass(at(f, from.t), f.kind === 'request' ? ['inferred from an HTTP request', describeFact(f)] : [describeFact(f)]);
  },
  kernel: kernelStage,
  init: initStage,
  chain: (ctx, from) => {
    for (const req of ctx.facts) {
      if (req.kind !== 'request' || req.tEnd < from.t || req.entry.status < 200 || req.entry.status > 299) continue;
      // An HTML page or text without #!ipxe was fetched "ok" but cannot run: not the chained config.
      if (req.entry.bodyKind === 'html' || req.entry.bodyKind === 'text') continue;
      // iPXE prints "URL... ok" after the download (the URL it was asked for: a redirect's first path counts);
      // the line may reach us before the stub's event.
      const paths = [req.entry.path, ...ctx.facts.filter((f) => f.kind === 'request' && f.entry.status >= 300 && f.entry.status < 400 && f.t <= req.t && f.tEnd >= from.t).map((f) => (f as { entry: { path: string } }).entry.path)];
      const ok = find(ctx, from.t, (f) => f.kind === 'line' && paths.some((p) => urlOkMatches(f.text, p)));
      if (ok >= 0) return pass(Math.max(at(req, from.t), at(ctx.facts[ok]!, from.t)), [describeFact(req), describeFact(ctx.facts[ok]!)]);
    }
    return null;
  },
};

// The kernel's real-mode setup prints through the BIOS (so it shows without console=ttyS0); the decompressed
// kernel's banner may be glued to it by SeaBIOS's terminal reset: never anchor it at the line start.
const KERNEL_RAN_RE = /Probing EDD|Linux version \d|Decompressing Linux/;
const KERNEL_LOG_RE = /^\s*\[\s*\d+\.\d+\]|Probing EDD|^Decompressing Linux|^Booting the kernel|^Parsing ELF/;

/** The OS kernel: a bzImage fetched (ledger), then its own output. */
function kernelStage(ctx: EvidenceContext, from: Cursor): StageOutcome {
  const k = find(ctx, from.t, (f) => f.kind === 'request' && f.entry.status >= 200 && f.entry.status < 300 && f.entry.bodyKind === 'bzimage');
  const ran = find(ctx, from.t, isLine(KERNEL_RAN_RE));
  // Fetched but silent (`quiet`, or no console for the kernel's messages): only a later stage can show it ran.
  if (ran < 0) return k >= 0 ? { kind: 'no-source', why: 'the kernel was fetched but printed nothing on the serial console (quiet, or no console=ttyS0)' } : null;
  const r = ctx.facts[ran]!;
  if (k < 0) return pass(at(r, from.t), ['kernel fetched: not seen in the ledger (loaded from elsewhere)', describeFact(r)]);
  const kf = ctx.facts[k]!;
  return pass(Math.max(at(kf, from.t), at(r, from.t)), [describeFact(kf), describeFact(r)]);
}

/** Userspace: the first console line after the kernel's and iPXE's last words that is not a kernel log line. */
function initStage(ctx: EvidenceContext, from: Cursor): StageOutcome {
  let start = from.t;
  for (const f of ctx.facts) if (f.kind === 'request' || (f.kind === 'line' && KERNEL_RAN_RE.test(f.text))) start = Math.max(start, f.t);
  const i = find(ctx, start, (f) => f.kind === 'line' && !f.partial && f.t >= start && f.text.trim() !== '' && !KERNEL_LOG_RE.test(f.text) && !/Linux version \d/.test(f.text) && !URL_OK_RE.test(f.text.trim()) && !/\[script\]$|^\S+ : \d+ bytes/.test(f.text));
  if (i < 0) return null;
  const f = ctx.facts[i]!;
  return pass(at(f, from.t), [`first userspace line: ${describeFact(f)}`]);
}

export function urlOkMatches(text: string, path: string): boolean {
  const m = URL_OK_RE.exec(text.trim());
  if (!m?.[1]) return false;
  try {
    return decodeURIComponent(new URL(m[1]).pathname) === decodeURIComponent(path);
  } catch {
    const base = path.slice(path.lastIndexOf('/') + 1);
    return base !== '' && m[1].includes(base);
  }
}

/** Evaluates `stage` on the facts at or after the cursor. */
export function evaluateStage(stage: StageId, extra: StageDef | undefined, ctx: EvidenceContext, from: Cursor): StageOutcome {
  if (extra) return seq(ctx, from, [{ pred: isLine(extra.evidence) }]);
  const ev = EVALUATORS[stage as CoreStageId];
  return ev ? ev(ctx, from) : null;
}
