import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { BootchainError } from '../errors.ts';
import { join } from 'node:path';
import { Machine, resolveMachineOptions, type MachineOptions } from '../machine/index.ts';
import { startHttpStub, type RouteDef, type HttpStub } from '../network/index.ts';
import { openPrivateNetwork, type PrivateNetwork, type VirtualHost } from '../network/private-network.ts';
import type { DnsQueryEntry } from '../network/dns-stub.ts';
import { describeChain } from '../image/chain-detect.ts';
import { ConsoleReader } from '../console/index.ts';
import { StageTracker, type StageDef, type TrackerResult } from '../stages/index.ts';
import type { BootEvent, ConsoleLineEvent, LedgerEntry } from '../events.ts';
import type { DiskMap } from '../image/types.ts';
import type { StageId, StageResult } from '../stages/ladder.ts';
import type { LintFinding } from '../lint/types.ts';
import { toBootReport, type BootReport } from '../report/json-report.ts';
import { captureScreenshot } from '../report/screenshot.ts';
import { writeHtmlReport } from '../report/html-report.ts';
import { writeReproBundle } from '../report/repro-bundle.ts';
import { shellQuote } from '../report/shell-quote.ts';

/** What the harness knows of the image before the boot: its disk map, where iPXE's script comes from, the prompt's wait. */
export interface ImageFacts {
  diskMap: DiskMap | null;
  scriptSource: 'embedded' | 'command line' | 'initrd' | 'autoboot' | null;
  /** A `boot:` prompt that is meant to wait (PROMPT 1 + TIMEOUT) this long is not a failure until then. */
  promptWaitMs?: number | null;
  /** Notes for the report learnt while mapping (added to meta.notes). */
  notes?: string[];
}

/**
 * The image facts now, or (`imageFacts`) as a promise: then QEMU starts paused at once and the guest
 * runs once they are known, so QEMU's own start-up overlaps the mapping.
 */
export type BootSessionOptions = BootSessionBase & (ImageFacts | { imageFacts: Promise<ImageFacts> });

export interface BootSessionBase {
  image: string;
  machine: Omit<MachineOptions, 'image' | 'bootfileUrl' | 'startedAt'>;
  /** Routes of the stub this session starts, or (with `stub`) the routes that stub serves, for the bundle. */
  routes: RouteDef[];
  /** Stub path handed to iPXE as DHCP filename (autoboot), or null. */
  bootfile: string | null;
  finalStage: StageId;
  /** Stages of the scenario's own after the built-in ladder (console markers). */
  extraStages?: StageDef[];
  overallTimeoutMs: number;
  artifactsDir: string;
  marker: string;
  /** What the report says about the run beyond what the boot itself shows. */
  meta: { image: string; scenario: string | null; notes: string[]; lint: LintFinding[] | Promise<{ findings: LintFinding[]; note?: string }> };
  /** A stub started by the caller (its port may be baked into the image); otherwise one is started here. Only with `network: { mode: 'user' }`. */
  stub?: HttpStub;
  /**
   * The guest's network (default `private`: the boot's own network namespace, `hosts` served under their
   * names on port 80 with a DNS stub, the routes at 10.0.2.2:80). `user`: QEMU user networking in the
   * host's namespace, the stub on a free port.
   */
  network?: { mode: 'private'; hosts?: VirtualHost[]; opened?: Promise<PrivateNetwork> } | { mode: 'user' };
  /**
   * Write a reproducer bundle when the verdict is not pass (default true), or decide per run: a scenario
   * that expects a failure bundles only when the run did not go as expected.
   */
  reproBundle?: boolean | ((r: { verdict: BootSessionResult['verdict']; stages: BootSessionResult['stages']; failure: BootSessionResult['failure']; ledger: LedgerEntry[]; consoleText: string; report: BootReport }) => boolean);
  onEvent?: (e: BootEvent) => void;
  /** Raw serial bytes as the guest writes them (an attached console). */
  onSerial?: (chunk: Buffer) => void;
  /** The running machine, once started (an attached console types into it, pauses it). */
  onMachine?: (m: Machine) => void;
  /**
   * Keep the machine running after the verdict until this resolves (the user leaves an attached console) or
   * QEMU exits; without it the session ends at the verdict.
   */
  holdUntil?: Promise<void>;
  /** With holdUntil (a person at the console): no time limit ends a stage and a prompt is no failure. Called at the verdict, while the machine keeps running. */
  onVerdict?: (v: Pick<TrackerResult, 'verdict' | 'failure'>) => void;
  /** Called the moment a stage passes or fails (live tables). */
  onStage?: (r: Readonly<StageResult>) => void;
  signal?: AbortSignal;
}

export interface BootSessionResult extends TrackerResult {
  report: BootReport;
  /** The -icount shift the guest ran with (null = real time): baselines are only comparable within one. */
  icountShift: number | null;
  ledger: LedgerEntry[];
  /** DNS questions the guest asked in its private network (empty with user networking). */
  dns: DnsQueryEntry[];
  consoleText: string;
  wallMs: number;
  argv: string[];
  artifactsDir: string;
}

/** How a run ends when the person at an attached console leaves before the verdict. */
export const LEFT_CONSOLE = 'left the console (Ctrl-]) before the verdict';

const TICK_MS = 100;
const GUEST_WAIT_POLL_MS = 5;
/** How much longer than its TIMEOUT a SYSLINUX prompt may sit before it counts as waiting for a key. */
const PROMPT_GRACE_MS = 2000;
/**
 * Guest-time no-progress limits under time warp for the CPU-bound stages (measured at shift 8: loading
 * ldlinux.c32 and the config ~4 s of guest time, loading + decompressing ipxe.lkrn ~31 s, iPXE's device
 * probe ~2 s; in real time each is well under a second). The disk-driven stages keep their real-time limits,
 * so a hang there is still caught after 3 s of guest time.
 */
const WARP_GUEST_STAGE_MS: Partial<Record<StageId, number>> = { 'ldlinux-c32': 20_000, config: 20_000, ipxe: 90_000, script: 30_000, network: 40_000, chain: 40_000, kernel: 300_000, init: 300_000 };

/** CPU-bound guest time doubles with each shift step: scale the shift-8 limits above that. */
function warpGuestLimits(shift: number): Partial<Record<StageId, number>> {
  const f = Math.max(1, 2 ** (shift - 8));
  return Object.fromEntries(Object.entries(WARP_GUEST_STAGE_MS).map(([k, v]) => [k, (v ?? 0) * f]));
}
const PARTIAL_AFTER_MS = 400;
const CPU_SAMPLE_AFTER_MS = 300;
const CPU_SAMPLE_EVERY_MS = 200;

/**
 * Boots one image and tracks it through the ladder. Owns the stub (unless given), the machine and the
 * timers, closing all of them on every path out (pass, fail, timeout, abort, exception); then writes the
 * artifacts: logs, timeline, ledger, report.json, report.html, screenshots, and a repro bundle on failure.
 */
export async function runBootSession(o: BootSessionOptions): Promise<BootSessionResult> {
  const t0 = Date.now();
  const now = () => Date.now() - t0;
  await mkdir(o.artifactsDir, { recursive: true }).catch((e: unknown) => {
    throw artifactsError(o.artifactsDir, e);
  });
  // The file QEMU boots, as it was at the start: a verdict about a file deleted or replaced meanwhile describes nothing.
  const imageAtStart = fileIdentity(o.image);
  const timeline: BootEvent[] = [];
  const lines: ConsoleLineEvent[] = [];
  const notes = [...o.meta.notes];
  const icountShift = resolveMachineOptions({ ...o.machine, image: o.image }).icountShift;
  const factsP: Promise<ImageFacts> = 'imageFacts' in o ? o.imageFacts : Promise.resolve(o);
  factsP.catch(() => undefined); // awaited below; a rejection is thrown from there
  let facts = null as ImageFacts | null; // set by makeTracker
  let tracker = null as StageTracker | null;
  /** Events that came before the tracker (QEMU is paused until then: at most its exit). */
  const early: BootEvent[] = [];
  const makeTracker = (f: ImageFacts): StageTracker => {
    facts = f;
    notes.push(...(f.notes ?? []));
    if (f.diskMap?.chain) notes.push(`chain: ${describeChain(f.diskMap.chain)}`);
    tracker = new StageTracker({
      diskMap: f.diskMap,
      finalStage: o.finalStage,
      ...(o.extraStages?.length ? { extraStages: o.extraStages } : {}),
      timeouts: { overallMs: o.overallTimeoutMs },
      scriptSource: f.scriptSource,
      ...(f.promptWaitMs ? { promptMs: f.promptWaitMs + PROMPT_GRACE_MS } : {}),
      ...(icountShift !== null ? { guestStageMs: warpGuestLimits(icountShift) } : {}),
      ...(o.onStage ? { onStage: o.onStage } : {}),
      // QEMU waits paused until now (the facts were still being read): the stage limits start here.
      startedAtMs: now(),
      guestAt: (wallMs) => machine?.guestClock?.guestAt(wallMs) ?? null,
      ...(o.holdUntil ? { interactive: true } : {}),
    });
    for (const e of early.splice(0)) feed(e);
    return tracker;
  };
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let machine: Machine | undefined;
  let failureShot: Promise<string | null> | null = null;
  // The guest's own clock (ACPI PM timer + RTC over QMP) stamps every event: stage timeouts count guest time.
  const stamp = (e: BootEvent) => {
    if (e.kind === 'request' || e.kind === 'exit') return;
    // A console line is stamped when its text was printed, not when its line break arrived.
    const g = machine?.guestClock?.guestAt(e.kind === 'console' ? (e.textAtMs ?? e.atMs) : e.atMs);
    if (g !== null && g !== undefined) e.guestMs = g;
  };
  const feed = (e: BootEvent): void => {
    if (!tracker) {
      early.push(e);
      return;
    }
    if (e.kind === 'console' || e.kind === 'disk-read' || e.kind === 'request') lastProgressAt = e.atMs;
    stamp(e);
    if (e.kind !== 'tick') timeline.push(e);
    if (e.kind === 'console') lines.push(e);
    o.onEvent?.(e);
    tracker.consume(e);
    // Catch the screen the moment a failure shows, before the guest falls through and QEMU exits.
    if (!failureShot && machine && tracker.failing && e.kind !== 'exit') failureShot = captureScreenshot(machine, o.artifactsDir, 'failure', notes);
    if (tracker.done) resolveDone();
  };
  let lastSerialAt = 0;
  /** Last console line, disk read or request (wall ms): CPU samples are taken only while the guest is silent. */
  let lastProgressAt = 0;
  let lastCpuAt = 0;
  let cpuBusy = false;
  const reader = new ConsoleReader((line: ConsoleLineEvent) => feed(line));

  const wire = (s: HttpStub): void => {
    s.startedAt = t0;
    s.onRequest = (e) => feed(e);
    // Route delays count guest time (like stage timeouts): under warp the guest idles through them at once,
    // as it would through the same wait on real hardware. Wall time ends the wait too (a halted guest).
    const wallDelay = s.delay;
    s.delay = (ms, signal) => waitGuest(() => machine?.guestClock ?? null, ms, signal, wallDelay);
  };
  const mode = o.network?.mode ?? (o.stub ? 'user' : 'private');
  let net: PrivateNetwork | null = null;
  let userStub: HttpStub | null = null;
  if (mode === 'private') {
    if (o.stub) throw new Error('runBootSession: a caller-started stub needs network mode "user"');
    // QEMU joins the namespace as soon as it exists and waits paused until the stubs serve (`startGate`).
    // Opened early by the caller (while the image was being mapped), or here.
    const opened = o.network?.mode === 'private' ? o.network.opened : undefined;
    net = opened ? await opened : await openPrivateNetwork({ defaultRoutes: o.routes, hosts: o.network?.mode === 'private' ? (o.network.hosts ?? []) : [], startedAt: t0, marker: o.marker, wire, ...(o.signal ? { signal: o.signal } : {}) });
    net.attach({ wire, startedAt: t0 });
    notes.push(`private network (${net.privilege === 'root' ? 'namespaces as root' : 'user namespace'}): ${[...net.addresses].map(([n, a]) => `${n} → ${a}`).join(', ') || 'no named hosts'}; the stub at 10.0.2.2:80; nothing else reachable`);
  } else {
    userStub = o.stub ?? (await startHttpStub({ routes: o.routes, startedAt: t0, marker: o.marker }));
    wire(userStub);
  }
  const ownStub = !o.stub;
  const ledger = (): LedgerEntry[] => (net ? net.ledger() : [...userStub!.ledger]);
  const dnsQueries = (): DnsQueryEntry[] => net?.dnsQueries() ?? [];
  const bootfileUrl = o.bootfile ? (net ? net.guestUrl(o.bootfile) : userStub!.guestUrl(o.bootfile)) : null;
  let tick: NodeJS.Timeout | undefined;
  let exited = false;
  let verdictAtMs: number | null = null;
  const screenshots: Array<{ label: string; file: string }> = [];
  let abortedBeforeVerdict = false;
  const onAbort = () => {
    abortedBeforeVerdict = !tracker?.done;
    resolveDone();
  };
  /** Why the run's own infrastructure broke before the verdict (its network's holder died…): the result is an error. */
  let infraLost: string | null = null;
  void net?.lost.then((why) => {
    if (tracker?.done || infraLost) return;
    infraLost = why;
    resolveDone();
  });
  o.signal?.addEventListener('abort', onAbort);
  // The guest runs (QMP `cont`) once the stubs serve and the image facts are known: the tracker exists by then.
  const startGate = Promise.all([net?.ready, factsP.then(makeTracker)]);
  startGate.catch(() => undefined); // Machine.start awaits it; a failure before then must not go unhandled
  // Leaving an attached console before the verdict ends the boot there.
  let leftBeforeVerdict = false;
  void o.holdUntil?.then(() => {
    leftBeforeVerdict = !tracker?.done;
    resolveDone();
  });
  try {
    machine = await Machine.start(
      { ...o.machine, image: o.image, startedAt: t0, ...(bootfileUrl ? { bootfileUrl } : {}), ...(net ? { wrapper: net.wrapper, resolvConf: net.resolvConf } : {}), startGate },
      {
        onSerial: (chunk, atMs) => {
          lastSerialAt = atMs;
          reader.push(chunk, atMs);
          o.onSerial?.(chunk);
        },
        onEvent: (e) => {
          if (e.kind === 'exit') {
            exited = true;
            reader.end(e.atMs);
          }
          feed(e);
        },
      },
      o.signal,
    );
    o.onMachine?.(machine);
    // setImmediate: the tick runs after the I/O that is already waiting (serial, trace), never before it.
    tick = setInterval(
      () =>
        setImmediate(() => {
          if (!tracker || tracker.done) return;
          const at = now();
          // While an iPXE error settles, what the guest printed after it matters now (did the script go on?).
          if (at - lastSerialAt >= (tracker.awaitingRecovery ? 0 : PARTIAL_AFTER_MS)) reader.flushPartial(at);
          feed({ kind: 'tick', atMs: at });
          machine?.hostCpuMs(); // one small /proc read: QEMU's CPU is gone from /proc once it exits on its own
          // A silent guest: where is its CPU? (busy work vs a loop vs halted; the tracker decides)
          if (machine && at - lastProgressAt >= CPU_SAMPLE_AFTER_MS && at - lastCpuAt >= CPU_SAMPLE_EVERY_MS && !cpuBusy) {
            lastCpuAt = at;
            cpuBusy = true;
            void machine.cpuState().then((c) => {
              cpuBusy = false;
              if (c && !tracker?.done) feed({ kind: 'cpu', atMs: Date.now() - t0, ...c });
            });
          }
        }),
      TICK_MS,
    );
    await done;
    verdictAtMs = now();
    if (tick) clearInterval(tick);
    // An attached console stays until the user leaves, QEMU ends or the run is interrupted.
    if (o.holdUntil && !o.signal?.aborted && !leftBeforeVerdict) {
      const m = machine;
      const v = tracker!.result();
      o.onVerdict?.({ verdict: v.verdict, failure: v.failure });
      await Promise.race([o.holdUntil, m.exited, new Promise<void>((r) => o.signal?.addEventListener('abort', () => r(), { once: true }))]);
    }
    // Checked while QEMU still runs: a deleted or replaced image makes the verdict meaningless.
    const imageNow = fileIdentity(o.image);
    // A failed boot in the private network: were the stubs still there to answer? (A destroyed listener looks like a server that is down.)
    if (net && !abortedBeforeVerdict && !infraLost && tracker!.result().verdict !== 'pass') infraLost = await net.checkListeners();
    if (!abortedBeforeVerdict && !infraLost && imageNow !== imageAtStart) infraLost = `IMAGE_CHANGED: ${o.image} was ${imageNow === null ? 'deleted' : 'replaced or modified'} while it booted; the verdict would describe a file that no longer exists as booted — boot a copy that nothing else changes`;
    const early = failureShot ? await failureShot : null;
    if (early) screenshots.push({ label: 'screen at the failure', file: early });
    // And the screen as the guest left it at the end (QEMU may have exited already: then a note says so).
    const end = exited ? null : await captureScreenshot(machine, o.artifactsDir, 'end', notes);
    if (end) screenshots.push({ label: 'screen at the end', file: end });
  } finally {
    if (tick) clearInterval(tick);
    o.signal?.removeEventListener('abort', onAbort);
    try {
      await machine?.close();
    } finally {
      if (net) await net.close();
      else if (ownStub) await userStub?.close();
    }
  }
  // A start that failed or was interrupted before the gate: the facts still make the (empty) table.
  const result = (tracker ?? makeTracker(await factsP)).result();
  // Re-stamp with every sample in hand: interpolation between later samples beats live extrapolation.
  const clock = machine?.guestClock;
  if (clock) {
    for (const e of timeline) stamp(e);
    // Guest stamps of early stages are coarse (before the firmware starts the PM timer): never let them run backwards.
    let prev = 0;
    for (const st of result.stages) {
      if (st.atMs === null) continue;
      const g = clock.guestAt(st.atMs) ?? st.guestMs;
      st.guestMs = g === null ? null : Math.max(g, prev);
      prev = st.guestMs ?? prev;
    }
  }
  // Closing QEMU on Ctrl-C makes it exit; that is the interruption, not the guest's failure.
  if (abortedBeforeVerdict) {
    result.failure = null;
    for (const st of result.stages) if (st.status === 'failed') Object.assign(st, { status: 'not-reached', evidence: ['interrupted before this stage finished'] });
    result.verdict = 'error';
    const reason = o.signal?.reason as { message?: string } | undefined;
    result.endedBy = `aborted by ${typeof reason?.message === 'string' && reason.message ? reason.message : 'the caller'} before a verdict`;
  } else if (infraLost) {
    // The run's own infrastructure failed: whatever the guest did, no verdict about the image can stand.
    result.failure = null;
    for (const st of result.stages) if (st.status === 'failed') Object.assign(st, { status: 'not-reached', evidence: [`not judged: ${infraLost}`] });
    result.verdict = 'error';
    result.endedBy = `infra error: ${infraLost}`;
  }
  // Leaving the console ends the boot the way Ctrl-C does: QEMU's exit is ours, not the guest's failure.
  if (leftBeforeVerdict && !abortedBeforeVerdict) {
    result.failure = null;
    for (const st of result.stages) if (st.status === 'failed') Object.assign(st, { status: 'not-reached', evidence: ['left the console before this stage finished'] });
    result.verdict = 'error';
    result.endedBy = LEFT_CONSOLE;
  }
  const wallMs = now();
  notes.push(...payloadNotes(ledger(), reader.text()));
  for (const e of ledger()) if (e.refused) notes.push(`the stub refused ${e.method} ${JSON.stringify(e.url)} (${e.status}): ${e.refused}`);
  const dir = o.artifactsDir;
  const argv = machine?.argv ?? [];
  const lintIn = await o.meta.lint;
  const lint = Array.isArray(lintIn) ? lintIn : lintIn.findings;
  if (!Array.isArray(lintIn) && lintIn.note) notes.push(lintIn.note);
  const report = toBootReport({ ...result, ledger: ledger(), dns: dnsQueries(), ...(facts?.diskMap?.chain ? { chain: facts.diskMap.chain } : {}), artifactsDir: dir, wallMs, verdictAtMs, image: o.meta.image, scenario: o.meta.scenario, notes, lint });
  const written = await Promise.allSettled([
    writeFile(join(dir, 'serial.raw'), reader.raw()),
    writeFile(join(dir, 'console.txt'), reader.text()),
    writeFile(join(dir, 'timeline.json'), JSON.stringify(timeline, null, 1)),
    writeFile(join(dir, 'ledger.json'), JSON.stringify(ledger(), null, 2)),
    writeFile(join(dir, 'dns.json'), JSON.stringify(dnsQueries(), null, 2)),
    writeFile(join(dir, 'qemu-cmdline.txt'), argv.map(shellQuote).join(' ') + '\n'),
    writeFile(join(dir, 'qemu-stderr.txt'), machine?.stderrText() ?? ''),
    writeFile(join(dir, 'block-trace.txt'), machine?.traceText() ?? ''),
    writeFile(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n'),
    writeHtmlReport(dir, { report, consoleLines: lines, screenshots, title: `bootchain: ${o.meta.scenario ?? o.meta.image}` }),
  ]);
  const writeFailed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
  if (writeFailed) {
    // A run whose evidence could not be kept is not a result: error, with the reason, on stdout at least.
    const e = artifactsError(dir, writeFailed.reason);
    result.verdict = 'error';
    result.endedBy = `infra error: ${e.code}: ${e.message}`;
    Object.assign(report, { verdict: result.verdict, endedBy: result.endedBy });
    report.notes.push(`${e.message} (${e.hint ?? ''})`);
    await writeFile(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n').catch(() => undefined);
  }
  const wantBundle =
    typeof o.reproBundle === 'function'
      ? o.reproBundle({ verdict: result.verdict, stages: result.stages, failure: result.failure, ledger: ledger(), consoleText: reader.text(), report })
      : result.verdict !== 'pass' && o.reproBundle !== false;
  // An interrupted run is the user's choice, not a failure to reproduce.
  if (wantBundle && machine && !o.signal?.aborted && !writeFailed) {
    try {
      await writeReproBundle(dir, {
        imagePath: o.image,
        argv,
        servedRoutes: o.routes,
        ledger: ledger(),
        consoleText: reader.text(),
        traceText: machine.traceText(),
        report,
        scenario: o.meta.scenario,
        options: { machine: o.machine, bootfile: o.bootfile, finalStage: o.finalStage, overallTimeoutMs: o.overallTimeoutMs, scriptSource: facts?.scriptSource ?? null, marker: o.marker },
      });
    } catch (e) {
      report.notes.push(`repro bundle not written: ${(e as Error).message}`);
    }
  }
  return { ...result, report, icountShift, ledger: ledger(), dns: dnsQueries(), consoleText: reader.text(), wallMs, argv, artifactsDir: dir };
}


/** Device, inode, size and mtime of a file, or null when it is gone. */
function fileIdentity(path: string): string | null {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

/** A failed artifacts write (read-only folder, full disk) as the error the user can act on. */
export function artifactsError(dir: string, e: unknown): BootchainError {
  const code = (e as NodeJS.ErrnoException).code;
  return new BootchainError(
    'ARTIFACTS_UNWRITABLE',
    `cannot write the run's artifacts to ${dir}: ${code === 'ENOSPC' ? 'no space left on the device' : code === 'EROFS' ? 'read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message}`,
    'free space there or point --artifacts / BOOTCHAIN_ARTIFACTS at a writable folder',
    { cause: e },
  );
}

/** Resolves once `ms` of guest time (or, whichever comes first, of wall time) has passed. */
async function waitGuest(clockOf: () => { lastGuestMs: number | null } | null, ms: number, signal: AbortSignal, wallSleep: (ms: number, signal: AbortSignal) => Promise<void>): Promise<void> {
  const clock = clockOf();
  const start = clock?.lastGuestMs ?? null;
  if (!clock || start === null) return wallSleep(ms, signal);
  const wallStart = Date.now();
  while ((clock.lastGuestMs ?? start) - start < ms && Date.now() - wallStart < ms) {
    signal.throwIfAborted();
    await new Promise((r) => setTimeout(r, GUEST_WAIT_POLL_MS));
  }
}

/** What OS the run booted: the kernel and initrd fetched (URL, size) and the command line the kernel saw. */
function payloadNotes(ledger: LedgerEntry[], consoleText: string): string[] {
  const k = ledger.findIndex((e) => e.bodyKind === 'bzimage' && e.status >= 200 && e.status < 300);
  if (k < 0) return [];
  const url = (e: LedgerEntry): string => `http://${e.host ?? ''}${e.url}`;
  const out = [`kernel: ${url(ledger[k]!)} (${ledger[k]!.bytes} bytes)`];
  for (const e of ledger.slice(k + 1)) if (e.status >= 200 && e.status < 300 && e.bodyKind === 'binary') out.push(`initrd: ${url(e)} (${e.bytes} bytes)`);
  const cmdline = /Command line: (.*)$/m.exec(consoleText)?.[1]?.trim();
  if (cmdline) out.push(`kernel command line: ${cmdline}`);
  return out;
}
