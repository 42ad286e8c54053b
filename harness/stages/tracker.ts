import type { BootEvent } from '../events.ts';
import type { DiskMap } from '../image/types.ts';
import { WrapJoiner } from '../console/wrap.ts';
import { DiskRegions } from './disk-regions.ts';
import { type Fact } from './facts.ts';
import { matchFailure, notAScriptFailure, type FailureMatch } from './failure-catalog.ts';
import { ladderFor, ALL_STAGE_TITLES, type ChainLadder } from './chains.ts';
import { STAGE_TITLES, type CoreStageId, type FailureInfo, type StageId, type StageResult, type Verdict } from './ladder.ts';
import { expectedFor, missingFor, sharperHang } from './expectations.ts';
import { evaluateStage, type Cursor, type EvidenceContext, type ScriptSource, type StageDef, type StageOutcome } from './stage-evidence.ts';

export interface TrackerOptions {
  diskMap: DiskMap | null;
  /** The chain's ladder (default: the one for the disk map's detected chain, else the seed's). */
  ladder?: ChainLadder;
  finalStage: StageId;
  extraStages?: StageDef[];
  timeouts?: { overallMs: number; stageMs?: Partial<Record<StageId, number>> };
  scriptSource?: ScriptSource;
  /** How long a failure message waits for late disk reads before the verdict (ms, default 250). */
  settleMs?: number;
  /** How long a prompt ("boot: ", "iPXE>") must wait for input before it counts as a failure (default 1000). */
  promptMs?: number;
  /**
   * No-progress limits judged in guest time, per stage, where they differ from the real-time ones. Under
   * time warp (-icount shift=8) the guest clock counts 256 ns per instruction, so CPU-bound phases
   * (loading and decompressing iPXE) take ~40× more guest time than in real time; the boot session passes
   * larger limits for those stages then (see WARP_GUEST_STAGE_MS).
   */
  guestStageMs?: Partial<Record<StageId, number>>;
  /** Called the moment a stage passes or fails (for live tables). */
  onStage?: (r: Readonly<StageResult>) => void;
  /** Wall ms (of the events' clock) at which the guest was let run: no-progress limits count from here (default 0). */
  startedAtMs?: number;
  /**
   * A person is at the console (`bootchain debug`): waiting is theirs to end. Prompts are not failures and no
   * time limit ends a stage; evidence alone (passes, failure messages) decides.
   */
  interactive?: boolean;
  /**
   * The guest clock (wall ms of the events' clock → guest ms), read again at each check: an event is stamped
   * when it arrives, from the samples taken so far, and a busy host can leave them stale (QMP answers late
   * while the guest's clock races under warp); the samples taken since put its progress where it was.
   */
  guestAt?: (wallMs: number) => number | null;
}

export interface TrackerResult {
  verdict: Verdict;
  stages: StageResult[];
  failure: FailureInfo | null;
  endedBy: string;
}

/** Default no-progress timeouts: silent stages are quick; network steps wait on DHCP/TCP timers (~15 s). */
export const DEFAULT_STAGE_MS: Record<CoreStageId, number> = {
  bios: 5000, mbr: 3000, gpt: 3000, vbr: 3000, 'ldlinux-sys': 3000, 'ldlinux-c32': 3000,
  config: 5000, ipxe: 8000, script: 6000, network: 20000, chain: 20000, kernel: 30000, init: 30000,
};
const DEFAULT_EXTRA_MS = 30000;
/** Least wall time before the backstop fires when the guest clock is known but stands still. */
const WALL_BACKSTOP_MIN_MS = 10000;
/** Wall time a guest clock may stand still (no timer, no interrupt) before the guest counts as halted. */
const FROZEN_CLOCK_MS = 1500;
/**
 * A failure message settles in guest time too (a loaded host slows the guest, not its clock's view of it:
 * a `|| chain` fallback that takes the guest 100 ms must not lose to 250 ms of a busy host's wall time);
 * wall time caps the wait for a guest whose clock stands still.
 */
const SETTLE_WALL_CAP_MS = 2000;
/** An error printed by an iPXE command (its line ends in the error's ipxe.org link): a script may go on after it. */
const isIpxeError = (m: FailureMatch): boolean => m.ipxe !== undefined || /\(https?:\/\/ipxe\.org\/[0-9a-f]{8}\)/i.test(m.message);
/**
 * Lines that follow an iPXE error without recovering from it: iPXE's own epilogue (autoboot gives up) and a
 * boot that starts over. After an iPXE error they confirm it.
 */
const RESTART_RE = /SeaBIOS \(version|^Booting from |^(SYS|EXT|ISO|PXE)LINUX \d|iPXE initialising devices|^Rebooting|^Could not boot|^No more network devices|^Press Ctrl-B/;
/** Wall ms a no-progress condition must persist before it ends the run. */
const IDLE_CONFIRM_MS = 150;
/**
 * A silent guest whose CPU samples spread over more than this many bytes of code is busy (decompressing,
 * testing memory), not stuck in a loop: it gets BUSY_FACTOR times the stage's guest-time limit.
 */
const BUSY_SPREAD_BYTES = 4096;
const BUSY_FACTOR = 8;
/**
 * The disk-driven stages run a few hundred bytes of real-mode code that reads the disk at once: silence
 * there is never work (code walking through zeroed memory spreads widely too), so they get no extension.
 */
const NEVER_BUSY = new Set<string>(['bios', 'mbr', 'gpt', 'vbr', 'ldlinux-sys', 'grub-core']);

/** What a hang at each stage usually means, and what to do about it. */
const HANG_HINTS: Partial<Record<CoreStageId, string>> = {
  bios: 'SeaBIOS never printed its banner: check that QEMU has sercon (graphics=off) and the seabios package is intact',
  mbr: 'the MBR boot code (first 440 bytes of LBA 0) never read the GPT: it is not gptmbr.bin or it is damaged; reinstall it with `dd bs=440 count=1 conv=notrunc if=/usr/lib/syslinux/mbr/gptmbr.bin of=DISK`',
  gpt: 'gptmbr.bin read the GPT but never read a partition boot sector: check the partition entries and the legacy BIOS bootable attribute (`sgdisk -A 1:show DISK`)',
  vbr: "the partition's boot sector ran but never read ldlinux.sys: rerun `extlinux --install` on the mounted boot partition",
  'ldlinux-sys': 'ldlinux.sys was loaded only in part: rerun `extlinux --install`, and never move or copy ldlinux.sys by hand',
  'ldlinux-c32': 'ldlinux.c32 did not load or run: it must come from the same extlinux that installed ldlinux.sys',
  config: 'SYSLINUX stopped after reading its configuration: check extlinux.conf (DEFAULT, LABEL, PROMPT/TIMEOUT waiting for a key)',
  ipxe: 'the kernel was loaded but iPXE never started: check that ipxe.lkrn is an iPXE .lkrn build',
  script: 'iPXE started but its boot logic never showed: check the embedded script / APPEND / #!ipxe initrd',
  network: 'iPXE never configured the network: DHCP got no answer (check the NIC model and the network)',
  chain: 'iPXE configured the network but never fetched the chained config: check the chain URL, DNS and the HTTP server',
  kernel: 'the chained config did not get a kernel running: check its kernel/initrd URLs and `boot` (the ledger shows what was fetched)',
  init: 'the kernel ran but userspace never printed: check console=ttyS0 on the kernel command line, the initrd, and memory',
};
const DEFAULT_OVERALL_MS = 120000;

/**
 * Follows one boot through the stage ladder from its events (console lines, disk reads, stub
 * requests, ticks, exit). A stage passes only on evidence that its own code ran, in ladder order;
 * the run ends as soon as the final stage passes or a failure is certain.
 */
export class StageTracker {
  private readonly ids: StageId[];
  private readonly extras = new Map<StageId, StageDef>();
  private readonly facts: Fact[] = [];
  private readonly ctx: EvidenceContext;
  private readonly results: StageResult[];
  private readonly wraps = new WrapJoiner();
  /** The first stage not yet resolved (passed, implied or skipped). */
  private next = 0;
  /** The stage whose evidence the run waits for: `next`, or a later one when stages before it have no evidence source. */
  private waiting = 0;
  /** Stages from `next` on with no evidence source of their own on this image, and why: a later stage's pass implies them. */
  private held: { idx: number; why: string }[] = [];
  private cursor: Cursor = { t: 0 };
  private lastProgressAt = 0;
  /** Guest-clock time of the last progress, when events carry it (null: judge by wall time only). */
  private lastProgressGuest: number | null = null;
  /** Timeline position (wall ms) of the last progress fact, to read its guest time again (opts.guestAt). */
  private lastProgressT: number | null = null;
  /** Wall time at which the guest clock last moved forward (to spot a guest that halted for good). */
  private guestMovedAt = 0;
  private lastGuest: number | null = null;
  /** When the no-progress condition was first seen (it must still hold IDLE_CONFIRM_MS later). */
  private idleSeenAt: number | null = null;
  /** CPU samples taken since the last progress (the boot session samples a silent guest). */
  private cpu: Array<{ atMs: number; halted: boolean; interrupts: boolean; pc: number }> = [];
  private pending: { match: FailureMatch; atMs: number; guestMs: number | null } | null = null;
  private prompt: { match: FailureMatch; atMs: number } | null = null;
  /**
   * An iPXE command's failure after which the guest went on printing (`chain A || echo …`: the script runs
   * on): not a verdict. Kept as the cause should the stage end in a fall-through, QEMU's exit or a timeout.
   */
  private recovered: { match: FailureMatch; atMs: number } | null = null;
  private final: TrackerResult | null = null;
  private readonly allRegions: DiskRegions | null;
  /** The detected chain's ladder: stage order, what it lacks (skipped), chain-specific evidence. */
  readonly ladder: ChainLadder;

  constructor(private readonly opts: TrackerOptions) {
    for (const s of opts.extraStages ?? []) this.extras.set(s.id, s);
    this.lastProgressAt = this.guestMovedAt = opts.startedAtMs ?? 0;
    this.ladder = opts.ladder ?? ladderFor(opts.diskMap?.chain);
    // Stages of the scenario's own follow the built-in stage they name (`after`, default chain): a run that
    // waits for them needs the built-in ladder only up to there.
    const builtIn = this.ladder.stages.map((s) => s.id);
    const extras = opts.extraStages ?? [];
    const after = extras.find((s) => s.id === opts.finalStage)?.after ?? extras[0]?.after ?? 'chain';
    const all: StageId[] = extras.some((s) => s.id === opts.finalStage)
      ? [...builtIn.slice(0, builtIn.indexOf(after) + 1 || builtIn.length), ...extras.map((s) => s.id)]
      : [...builtIn, ...extras.map((s) => s.id)];
    const end = all.indexOf(opts.finalStage);
    this.ids = end < 0 ? all : all.slice(0, end + 1);
    const regions = opts.diskMap ? new DiskRegions(opts.diskMap) : null;
    this.allRegions = regions;
    this.ctx = { facts: this.facts, regions, scriptSource: opts.scriptSource ?? null };
    this.results = this.ids.map((id) => ({ id, status: 'not-reached', atMs: null, guestMs: null, evidence: [] }));
  }

  /** True from the moment a failure is seen (even while it settles), so a screenshot can catch it. */
  get failing(): boolean {
    return this.pending !== null || this.prompt !== null || (this.final !== null && this.final.verdict !== 'pass');
  }

  /** An iPXE error is settling: whether the script goes on (`|| …`) shows in what the guest prints next. */
  get awaitingRecovery(): boolean {
    return this.pending !== null && isIpxeError(this.pending.match);
  }

  get done(): boolean {
    return this.final !== null;
  }

  consume(e: BootEvent): void {
    if (this.final) return;
    const guestMs = 'guestMs' in e ? (e.guestMs ?? null) : null;
    switch (e.kind) {
      case 'console': {
        const text = e.partial ? this.wraps.peek(e.text) : this.wraps.push(e.text);
        if (text.trim() === '' && !e.partial) break;
        const failure = matchFailure(text, { partial: e.partial === true });
        this.addFact({ kind: 'line', atMs: e.atMs, t: Math.min(e.textAtMs ?? e.atMs, e.atMs), tEnd: e.atMs, guestMs, text, partial: e.partial === true, failure });
        if (failure) this.onFailure(failure, e.atMs);
        else if (this.pending && this.awaitingRecovery && (!e.partial || text.trim().length >= 8) && !RESTART_RE.test(text)) {
          // iPXE printed its error and the script went on (`|| …`; an unfinished line counts: sercon holds a
          // row's last character back until the next output): the error stands only if nothing recovers.
          this.recovered = { match: this.pending.match, atMs: this.pending.atMs };
          this.pending = null;
        }
        break;
      }
      case 'disk-read': {
        const roles = this.allRegions?.classify(e.offset, e.bytes) ?? [];
        this.addFact({ kind: 'read', atMs: e.atMs, t: e.atMs, tEnd: e.atMs, guestMs, offset: e.offset, bytes: e.bytes, roles });
        break;
      }
      case 'request': {
        this.addFact({ kind: 'request', atMs: e.atMs, t: e.atMs, tEnd: e.atMs, guestMs: null, entry: e.entry });
        // What is fetched after the chained config (a kernel, an initrd) need not be a script.
        const chainAt = this.ids.indexOf('chain');
        const notScript = chainAt >= 0 && this.next <= chainAt ? notAScriptFailure(e.entry) : null;
        if (notScript) this.onFailure(notScript, e.atMs);
        break;
      }
      case 'exit':
        this.advance();
        if (this.final) return;
        if (e.infraError) return this.finishError(`QEMU failed: ${e.infraError}`, 'infra error');
        if (this.prompt && !this.pending) this.pending = { ...this.prompt, guestMs: null };
        if (this.pending) return this.finishFailure(this.pending.match, this.pending.atMs);
        if (this.recovered) return this.finishFailure(this.recovered.match, this.recovered.atMs);
        return this.finishTimeout('MACHINE_EXITED', `QEMU exited (code ${e.code ?? '-'}${e.signal ? `, ${e.signal}` : ''}) at ${e.atMs} ms`, 'the guest reset or powered off before the stage ran; see the console tail', e.atMs);
      case 'tick':
        break;
      case 'cpu':
        this.cpu.push({ atMs: e.atMs, halted: e.halted, interrupts: e.interrupts, pc: e.pc });
        if (this.cpu.length > 64) this.cpu.shift();
        break;
    }
    this.checkTime(e.atMs, guestMs);
  }

  result(): TrackerResult {
    if (this.final) return this.final;
    const idx = this.next;
    const id = this.ids[idx];
    return {
      verdict: 'fail',
      stages: this.results.map((r) => ({ ...r, evidence: [...r.evidence] })),
      failure: id === undefined ? null : { stage: id, code: 'NOT_FINISHED', message: `the boot was still waiting for ${id}`, hint: 'the run was stopped before a verdict' },
      endedBy: 'not finished',
    };
  }

  private addFact(f: Fact): void {
    this.facts.push(f);
    this.cpu = [];
    this.lastProgressAt = f.atMs;
    if (f.guestMs !== null) this.lastProgressGuest = f.guestMs;
    this.lastProgressT = f.t;
    if (this.prompt && !(f.kind === 'line' && f.partial)) this.prompt = null;
    this.advance();
  }

  private advance(): void {
    while (!this.final && this.next < this.ids.length) {
      // Look ahead over stages with no evidence source here: the first later stage that passes implies them.
      let j = this.next;
      let outcome: StageOutcome = null;
      const held: { idx: number; why: string }[] = [];
      for (; j < this.ids.length; j++) {
        outcome = this.evaluate(this.ids[j]!);
        if (outcome?.kind === 'no-source') held.push({ idx: j, why: outcome.why });
        else if (outcome?.kind === 'skip') this.markSkipped(j, outcome.why);
        else break;
      }
      this.held = held;
      this.waiting = Math.min(j, this.ids.length - 1);
      if (outcome?.kind !== 'pass') {
        // Not seen yet (or every remaining stage lacks a source): wait for more facts.
        if (held.length === 0) this.next = Math.max(this.next, j);
        break;
      }
      const passedBy = `${this.ids[j]} passed (${outcome.evidence.join('; ')})`;
      for (const h of held) this.markImplied(h.idx, [`implied: ${passedBy}`, `no evidence of its own: ${h.why}`]);
      this.held = [];
      this.cursor = { t: outcome.t };
      this.markPassed(j, outcome.t, outcome.evidence);
    }
    if (!this.final && this.next >= this.ids.length) this.finish('pass', null, `final stage ${this.opts.finalStage} passed`);
  }

  private evaluate(id: StageId): StageOutcome {
    const step = this.ladder.stages.find((s) => s.id === id);
    if (step?.skip) return { kind: 'skip', why: step.skip };
    if (step?.evaluate) return step.evaluate(this.ctx, this.cursor);
    return evaluateStage(id, this.extras.get(id), this.ctx, this.cursor);
  }

  private markPassed(idx: number, t: number, evidence: string[]): void {
    const r = this.results[idx]!;
    r.status = 'passed';
    r.atMs = t;
    r.guestMs = this.guestAt(t);
    r.evidence = evidence;
    // The guest got past the failure it printed for this stage (a `|| chain` fallback): it did not fail here.
    if (this.pending && this.pending.match.stage === r.id) this.pending = null;
    if (this.recovered && this.recovered.match.stage === r.id) this.recovered = null;
    this.next = idx + 1;
    this.waiting = this.next;
    this.opts.onStage?.(r);
  }

  /** A later stage's evidence shows this one ran; it has no time of its own (stage times never run backwards). */
  private markImplied(idx: number, evidence: string[]): void {
    const r = this.results[idx]!;
    r.status = 'implied';
    r.atMs = null;
    r.guestMs = null;
    r.evidence = evidence;
    this.opts.onStage?.(r);
  }

  private markSkipped(idx: number, why: string): void {
    const r = this.results[idx]!;
    if (this.next === idx) this.next = idx + 1;
    if (r.status === 'skipped') return;
    r.status = 'skipped';
    r.atMs = null;
    r.guestMs = null;
    r.evidence = [`skipped: ${why}`];
    this.opts.onStage?.(r);
  }

  /** Guest time of the fact at timeline position t (the fact that completed a stage). */
  private guestAt(t: number): number | null {
    for (let i = this.facts.length - 1; i >= 0; i--) {
      const f = this.facts[i]!;
      if (f.t <= t && t <= f.tEnd && f.guestMs !== null && f.kind !== 'line') return f.guestMs;
      if (f.kind === 'line' && f.t === t && f.guestMs !== null) return f.guestMs;
    }
    return null;
  }

  private onFailure(m: FailureMatch, atMs: number): void {
    if (m.infra) return this.finishError(m.message, `infra error: ${m.code}`);
    if (m.prompt) {
      this.prompt ??= { match: m, atMs };
      return;
    }
    this.pending ??= { match: m, atMs, guestMs: this.lastGuest };
  }

  private checkTime(atMs: number, guestMs: number | null = null): void {
    if (this.final) return;
    if (guestMs !== null && (this.lastGuest === null || guestMs > this.lastGuest + 1)) {
      this.lastGuest = guestMs;
      this.guestMovedAt = atMs;
    }
    const settle = this.opts.settleMs ?? 250;
    if (this.pending && atMs - this.pending.atMs >= settle) {
      const from = this.pending.guestMs;
      const guestSettled = from === null || this.lastGuest === null || this.lastGuest - from >= settle;
      if (guestSettled || atMs - this.pending.atMs >= SETTLE_WALL_CAP_MS) return this.finishFailure(this.pending.match, this.pending.atMs);
    }
    if (this.opts.interactive) return;
    if (this.prompt && atMs - this.prompt.atMs >= (this.opts.promptMs ?? 1000)) return this.finishFailure(this.prompt.match, this.prompt.atMs);
    // A prompt that is still within its own wait (PROMPT + TIMEOUT) is not a hang either.
    // Nor is a guest idling after a failure message that is still settling (it waits for a key, and under
    // time warp its clock races ahead): the message is the verdict, not the silence after it.
    const promptWaiting = this.prompt !== null || this.pending !== null;
    const overall = this.opts.timeouts?.overallMs ?? DEFAULT_OVERALL_MS;
    if (atMs >= overall) return this.finishTimeout('OVERALL_TIMEOUT', `overall timeout of ${overall} ms reached`, 'raise the scenario timeout if the boot is slow, or look at the console tail', atMs);
    const id = this.ids[Math.max(this.next, this.waiting)];
    if (id === undefined) return;
    const limit = this.opts.timeouts?.stageMs?.[id] ?? this.extras.get(id)?.noProgressMs ?? DEFAULT_STAGE_MS[id as CoreStageId] ?? DEFAULT_EXTRA_MS;
    // No-progress limits count guest time (the guest's own timers run on it; under time warp a busy hang
    // burns guest time fast); wall time is the backstop for a guest whose clock stopped (halted, irqs off).
    const wallIdle = atMs - this.lastProgressAt;
    const progressGuest = this.progressGuest();
    const guestIdle = guestMs !== null && progressGuest !== null ? guestMs - progressGuest : null;
    // Busy or stuck: CPU samples spread over a lot of code mean work (a loader decompressing, memtest),
    // a handful of addresses mean a loop. A busy guest gets more of its own time; a stuck one does not.
    const running = this.cpu.filter((c) => !c.halted);
    const spread = running.length >= 3 ? Math.max(...running.map((c) => c.pc)) - Math.min(...running.map((c) => c.pc)) : 0;
    const busy = spread > BUSY_SPREAD_BYTES && !NEVER_BUSY.has(id);
    const guestLimit = (this.opts.guestStageMs?.[id] ?? limit) * (busy ? BUSY_FACTOR : 1);
    const byGuest = guestIdle !== null && guestIdle >= guestLimit;
    // A guest clock that stands still while wall time passes: the CPU halted with nothing left to wake it.
    // Frozen for good only on evidence: a CPU sample taken after the clock stopped that shows it halted with
    // interrupts off (nothing can wake it). Halted with interrupts on, it waits for a timer that QEMU fires
    // as soon as it gets the CPU back: on a starved host (every core busy) the clock stands still for
    // seconds, so that, and no sample at all, is left to the wall-time backstop below.
    const lastCpu = this.cpu.at(-1);
    const halted = lastCpu !== undefined && lastCpu.atMs >= this.guestMovedAt && lastCpu.halted && !lastCpu.interrupts;
    const frozen = guestIdle !== null && atMs - this.guestMovedAt >= FROZEN_CLOCK_MS && wallIdle >= FROZEN_CLOCK_MS && halted;
    const byWall = guestIdle === null ? wallIdle >= limit : frozen || wallIdle >= Math.max(2 * guestLimit, WALL_BACKSTOP_MIN_MS);
    if (!(byGuest || byWall) || promptWaiting) {
      this.idleSeenAt = null;
      return;
    }
    // Confirm on a later event: after a host stall, a tick can run before the I/O that arrived meanwhile
    // (and under warp 100 ms of host stall is seconds of guest time).
    if (this.idleSeenAt === null) this.idleSeenAt = atMs;
    if (atMs - this.idleSeenAt < IDLE_CONFIRM_MS) return;
    {
      const cpuNote = busy
        ? ` while the CPU was busy across ${Math.round(spread / 1024)} KiB of code (given ${BUSY_FACTOR}× the stage's limit)`
        : running.length < 3 ? '' : spread > BUSY_SPREAD_BYTES ? ` with the CPU running wild across ${Math.round(spread / 1024)} KiB (a disk-driven stage: silence is not work)` : ` with the CPU looping within ${spread} bytes (stuck)`;
      const idle = byGuest ? `${Math.round(guestIdle)} ms of guest time${cpuNote}` : `${wallIdle} ms${guestIdle !== null ? ` of wall time; the guest clock stood still (${halted ? 'CPU halted with interrupts off' : lastCpu ? `CPU ${lastCpu.halted ? 'halted, interrupts on' : 'running'} at the last sample` : 'no CPU sample'})` : ''}`;
      this.finishTimeout('STAGE_TIMEOUT', `no console output or disk read for ${idle}`, `${HANG_HINTS[id as CoreStageId] ?? this.ladder.stages.find((s) => s.id === id)?.hangHint ?? `the ${id} stage hung`}; raise timeouts.stageMs.${id} if it is only slow`, atMs);
    }
  }

  /** Guest time of the last progress, from the clock's samples as they are now (see opts.guestAt). */
  private progressGuest(): number | null {
    if (this.lastProgressT === null || !this.opts.guestAt) return this.lastProgressGuest;
    const g = this.opts.guestAt(this.lastProgressT);
    return g === null ? this.lastProgressGuest : Math.max(g, this.lastProgressGuest ?? g);
  }

  private finishFailure(m: FailureMatch, seenAtMs: number): void {
    this.advance();
    if (this.final) return;
    // The script went on after an iPXE error and then fell through: that error is why the stage failed.
    if (m.fallThrough && this.recovered) ({ match: m, atMs: seenAtMs } = this.recovered);
    const first = this.next;
    const catIdx = m.fallThrough || m.prompt ? first : this.ids.indexOf(m.stage);
    const failedIdx = Math.min(Math.max(catIdx < 0 ? this.ids.length - 1 : catIdx, first), this.ids.length - 1);
    // Stages before the one whose code printed the message must have run, but showed no evidence of their own.
    for (let i = first; i < failedIdx; i++) {
      if (this.results[i]!.status === 'skipped') continue;
      const own = this.held.find((h) => h.idx === i)?.why ?? `none seen (${missingFor(this.ids[i]!, this.facts, this.cursor.t, this.ctx.regions !== null)})`;
      this.markImplied(i, [`implied: ${m.code} is printed by the code of a later stage (${this.ids[failedIdx]}): "${m.message}"`, `no evidence of its own: ${own}`]);
    }
    const sharper = m.atStage?.[this.ids[failedIdx] as CoreStageId];
    this.failStage(failedIdx, m.code, m.message, sharper?.hint ?? m.hint, sharper?.cause ?? m.cause, seenAtMs);
  }

  private finishTimeout(code: string, why: string, hint: string, atMs: number): void {
    // The first unresolved stage failed; when it has no evidence source, the boot stopped somewhere between it and the awaited one.
    const idx = Math.min(this.next, this.ids.length - 1);
    const id = this.ids[idx]!;
    const awaited = this.ids[Math.max(idx, this.waiting)]!;
    const missing = missingFor(awaited, this.facts, this.cursor.t, this.ctx.regions !== null);
    // Some stages can name a sharper cause for the silence from what the boot did show.
    const sharper = sharperHang(id, this.facts, (s) => this.results[this.ids.indexOf(s)]?.status === 'passed');
    if (sharper) {
      code = sharper.code;
      hint = sharper.hint;
      why = `${sharper.why}; ${why}`;
    }
    if (this.recovered) why = `${why}; earlier the guest printed "${this.recovered.match.message}" (${this.recovered.match.code}) and went on`;
    const noSource = this.held.length > 0 ? `; ${this.held.map((h) => this.ids[h.idx]).join(', ')} ha${this.held.length > 1 ? 've' : 's'} no evidence source on this image (${this.held[0]!.why}), so the boot stopped between ${id} and ${awaited}` : '';
    this.failStage(idx, code, `${missing} (${why}, stage ${awaited}${noSource})`, hint, `waiting at ${atMs} ms`, this.lastProgressAt);
  }

  private failStage(idx: number, code: string, message: string, hint: string, cause: string, seenAtMs: number): void {
    const id = this.ids[idx]!;
    const r = this.results[idx]!;
    r.status = 'failed';
    const last = this.facts.at(-1);
    r.atMs = last ? Math.max(last.t, this.cursor.t) : null;
    r.evidence = [
      `expected: ${expectedFor(id, this.extras.get(id) ? `console line matching ${this.extras.get(id)!.evidence}` : undefined)}`,
      `failed: ${code}: ${message}`,
      `cause: ${cause}`,
    ];
    this.opts.onStage?.(r);
    this.finish('fail', { stage: id, code, message, hint, seenAtMs }, `failure: ${code}`);
  }

  private finishError(message: string, endedBy: string): void {
    this.finish('error', null, `${endedBy}: ${message}`);
  }

  private finish(verdict: Verdict, failure: FailureInfo | null, endedBy: string): void {
    this.final = { verdict, stages: this.results, failure, endedBy };
  }
}

export function stageTitle(id: StageId, extras?: StageDef[]): string {
  return (STAGE_TITLES as Record<string, string>)[id] ?? ALL_STAGE_TITLES[id] ?? extras?.find((s) => s.id === id)?.title ?? id;
}
