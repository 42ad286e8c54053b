import type { DiskRegions, ReadRole } from './disk-regions.ts';
import { describeFact, findFact, isLine, isRead, type Fact } from './facts.ts';
import { STAGE_IDS, type CoreStageId, type StageId } from './ladder.ts';

export type ScriptSource = 'embedded' | 'command line' | 'initrd' | 'autoboot' | null;

/** A later stage the scenario adds (e.g. "kernel", "init"), proved by a console line. */
export interface StageDef {
  id: StageId;
  title?: string;
  evidence: RegExp;
  /** No-progress timeout for this stage (ms). */
  noProgressMs?: number;
}

export interface EvidenceContext {
  facts: readonly Fact[];
  regions: DiskRegions | null;
  scriptSource: ScriptSource;
}

/**
 * Where evidence for the next stage may start. Console lines arrive later than the machine-side
 * facts (disk reads carry QEMU's own timestamps, requests the stub's), so order is kept per kind.
 */
export interface Cursor {
  line: number;
  other: number;
}

/** A stage passed: the cursor after its evidence, the fact that completed it (`at`), evidence strings. */
export interface StagePass {
  at: number;
  cursor: Cursor;
  evidence: string[];
}

function startOf(f: Fact | undefined, c: Cursor): number {
  return f?.kind === 'line' ? c.line : c.other;
}

/** First fact satisfying pred, each kind searched from its own cursor. */
function find(ctx: EvidenceContext, c: Cursor, pred: (f: Fact) => boolean): number {
  for (let i = Math.min(c.line, c.other); i < ctx.facts.length; i++) {
    const f = ctx.facts[i]!;
    if (i >= startOf(f, c) && pred(f)) return i;
  }
  return -1;
}

function after(c: Cursor, ctx: EvidenceContext, ...idx: number[]): Cursor {
  const n = { ...c };
  for (const i of idx) {
    if (ctx.facts[i]?.kind === 'line') n.line = Math.max(n.line, i);
    else n.other = Math.max(n.other, i);
  }
  return n;
}

function passAt(ctx: EvidenceContext, c: Cursor, idx: number[], evidence: string[]): StagePass {
  return { at: Math.max(...idx), cursor: after(c, ctx, ...idx), evidence };
}

export const BANNER_RE = /^(SYS|EXT|ISO|PXE)LINUX \d/;
// ldlinux.sys prints "SYSLINUX 6.04 EDD " after its first sector and the rest only once it is loaded whole.
const FULL_BANNER_RE = /^(SYS|EXT|ISO|PXE)LINUX \d.*Copyright \(C\)/;
const HARD_DISK_RE = /^Booting from Hard Disk/;
const LOADING_OK_RE = /^Loading \S+?\s*\.\.\.\s*ok/;
const IPXE_START_RE = /iPXE initialising devices|^iPXE \S+ .*Network Boot Firmware/;
const CTRL_B_RE = /Press Ctrl-B for the iPXE command line/;
const CONFIGURED_RE = /^Configuring \(.*\.\s*ok\s*$/;
// iPXE prints a progress dot per step (more of them under time warp): "URL.............. ok".
const URL_OK_RE = /^(\S+?)\s*\.{3,}\s*ok\s*$/;

const stageIndex = (id: StageId): number => (STAGE_IDS as readonly string[]).indexOf(id);

/** Steps in order: each found at or after the previous one (strictly in stream order). */
function seq(ctx: EvidenceContext, from: Cursor, steps: { pred: (f: Fact) => boolean; role?: ReadRole }[]): StagePass | null {
  let c = from;
  const evidence: string[] = [];
  const idx: number[] = [];
  for (const s of steps) {
    const i = find(ctx, c, s.pred);
    if (i < 0) return null;
    evidence.push(describeFact(ctx.facts[i]!, s.role));
    idx.push(i);
    c = { line: Math.max(c.line, i), other: Math.max(c.other, i) };
  }
  return passAt(ctx, from, idx, evidence);
}

function inferredFromBanner(ctx: EvidenceContext, from: Cursor): StagePass | null {
  const i = find(ctx, from, isLine(BANNER_RE));
  if (i < 0) return null;
  return passAt(ctx, from, [i], ['no disk map: inferred from console', describeFact(ctx.facts[i]!)]);
}

/** A printed line that proves code at or after `stage` ran (not blank, not a failure of an earlier stage). */
function printedBy(stage: CoreStageId) {
  return (f: Fact): boolean =>
    f.kind === 'line' && f.text.trim() !== '' && !BANNER_RE.test(f.text) &&
    (f.failure === null || (!f.failure.fallThrough && !f.failure.prompt && stageIndex(f.failure.stage) > stageIndex(stage)));
}

const EVALUATORS: Record<CoreStageId, (ctx: EvidenceContext, from: Cursor) => StagePass | null> = {
  bios: (ctx, from) => seq(ctx, from, [{ pred: isLine(/SeaBIOS \(version/) }]),
  mbr: (ctx, from) => {
    if (!ctx.regions) return inferredFromBanner(ctx, from);
    const h = find(ctx, from, isLine(HARD_DISK_RE));
    const next: ReadRole = ctx.regions.partitionTable === 'gpt' ? 'gpt-header' : 'vbr';
    const r = seq(ctx, from, [{ pred: isRead('mbr'), role: 'mbr' }, { pred: isRead(next), role: next }]);
    if (h < 0 || !r) return null;
    // SeaBIOS probes LBA 0 during POST too: the boot read is the last one before the next read.
    let l0 = r.at;
    while (l0 > from.other && !isRead('mbr')(ctx.facts[l0]!)) l0--;
    const evidence = [describeFact(ctx.facts[h]!), describeFact(ctx.facts[l0]!, 'mbr'), r.evidence[1] ?? ''];
    return { at: Math.max(h, r.at), cursor: after(r.cursor, ctx, h), evidence };
  },
  gpt: (ctx, from) => {
    if (!ctx.regions) return inferredFromBanner(ctx, from);
    if (ctx.regions.partitionTable !== 'gpt') return { at: from.other, cursor: from, evidence: ['not applicable: MBR partition table'] };
    return seq(ctx, from, [{ pred: isRead('gpt-entries'), role: 'gpt-entries' }, { pred: isRead('vbr'), role: 'vbr' }]);
  },
  vbr: (ctx, from) => {
    if (!ctx.regions) return inferredFromBanner(ctx, from);
    return seq(ctx, from, [{ pred: isRead('ldlinux-sys-first'), role: 'ldlinux-sys-first' }]);
  },
  'ldlinux-sys': (ctx, from) => {
    const b = find(ctx, from, isLine(FULL_BANNER_RE, { complete: true }));
    if (b < 0) return null;
    if (!ctx.regions) return passAt(ctx, from, [b], [describeFact(ctx.facts[b]!), 'no disk map: inferred from console']);
    const r = find(ctx, from, isRead('ldlinux-sys-rest'));
    if (r < 0) return null;
    return passAt(ctx, from, [r, b], [describeFact(ctx.facts[r]!, 'ldlinux-sys-rest'), describeFact(ctx.facts[b]!)]);
  },
  'ldlinux-c32': (ctx, from) => {
    if (!ctx.regions) {
      const i = find(ctx, { ...from, line: from.line + 1 }, printedBy('ldlinux-c32'));
      return i < 0 ? null : passAt(ctx, from, [i], ['no disk map: inferred from console', describeFact(ctx.facts[i]!)]);
    }
    const c = find(ctx, from, isRead('ldlinux-c32'));
    if (c < 0) return null;
    const a = find(ctx, { line: from.line, other: c + 1 }, (f) => (f.kind === 'read' && f.roles.some((r) => r.role === 'config-file' || r.role === 'payload')) || printedBy('ldlinux-c32')(f));
    if (a < 0) return null;
    return passAt(ctx, from, [c, a], [describeFact(ctx.facts[c]!, 'ldlinux-c32'), `then ${describeFact(ctx.facts[a]!)}`]);
  },
  config: (ctx, from) => {
    const i = find(ctx, from, (f) => printedBy('config')(f) || isRead('payload')(f));
    return i < 0 ? null : passAt(ctx, from, [i], [describeFact(ctx.facts[i]!, 'payload')]);
  },
  ipxe: (ctx, from) => seq(ctx, from, [{ pred: isLine(LOADING_OK_RE) }, { pred: isLine(IPXE_START_RE) }]),
  script: (ctx, from) => {
    const f = find(ctx, from, isLine(/^Features:/));
    if (f < 0) return null;
    const i = findFact(ctx.facts, f + 1, (x) => x.kind === 'line' && x.text.trim() !== '');
    if (i < 0) return null;
    const fact = ctx.facts[i]!;
    const hint = ctx.scriptSource;
    if (fact.kind === 'line' && CTRL_B_RE.test(fact.text)) {
      const note = hint && hint !== 'autoboot' ? ` (the image's config suggested a script from ${hint}; it was not used)` : '';
      return passAt(ctx, from, [i], [`source: autoboot${note}`, describeFact(fact)]);
    }
    return passAt(ctx, from, [i], [`source: ${hint && hint !== 'autoboot' ? hint : 'script (embedded, command line or initrd)'}`, describeFact(fact)]);
  },
  network: (ctx, from) => {
    const i = find(ctx, from, (f) => isLine(CONFIGURED_RE, { complete: true })(f) || f.kind === 'request');
    if (i < 0) return null;
    const f = ctx.facts[i]!;
    return passAt(ctx, from, [i], f.kind === 'request' ? ['inferred from an HTTP request', describeFact(f)] : [describeFact(f)]);
  },
  chain: (ctx, from) => {
    for (let r = from.other; r < ctx.facts.length; r++) {
      const req = ctx.facts[r]!;
      if (req.kind !== 'request' || req.entry.status < 200 || req.entry.status > 299) continue;
      // iPXE prints "URL... ok" after the download; the line may reach us before the stub's event.
      const ok = find(ctx, from, (f) => f.kind === 'line' && urlOkMatches(f.text, req.entry.path));
      if (ok >= 0) return passAt(ctx, from, [r, ok], [describeFact(req), describeFact(ctx.facts[ok]!)]);
    }
    return null;
  },
};

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

/** Evaluates whether `stage` has passed using facts from index `from` on. */
export function evaluateStage(stage: StageId, extra: StageDef | undefined, ctx: EvidenceContext, from: Cursor): StagePass | null {
  if (extra) return seq(ctx, from, [{ pred: isLine(extra.evidence) }]);
  const ev = EVALUATORS[stage as CoreStageId];
  return ev ? ev(ctx, from) : null;
}
