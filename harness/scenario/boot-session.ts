import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Machine, type MachineOptions } from '../machine/index.ts';
import { startHttpStub, type RouteDef, type HttpStub } from '../network/index.ts';
import { ConsoleReader } from '../console/index.ts';
import { StageTracker, type TrackerResult } from '../stages/index.ts';
import type { BootEvent, ConsoleLineEvent, LedgerEntry } from '../events.ts';
import type { DiskMap } from '../image/types.ts';
import type { StageId } from '../stages/ladder.ts';

export interface BootSessionOptions {
  image: string;
  diskMap: DiskMap | null;
  machine: Omit<MachineOptions, 'image' | 'bootfileUrl'>;
  routes: RouteDef[];
  /** Stub path handed to iPXE as DHCP filename (autoboot), or null. */
  bootfile: string | null;
  finalStage: StageId;
  overallTimeoutMs: number;
  scriptSource: 'embedded' | 'command line' | 'initrd' | 'autoboot' | null;
  artifactsDir: string;
  marker: string;
  /** A stub started by the caller (its port may be baked into the image); otherwise one is started here. */
  stub?: HttpStub;
  onEvent?: (e: BootEvent) => void;
  signal?: AbortSignal;
}

export interface BootSessionResult extends TrackerResult {
  ledger: LedgerEntry[];
  consoleText: string;
  wallMs: number;
  argv: string[];
  artifactsDir: string;
}

const TICK_MS = 100;
const PARTIAL_AFTER_MS = 400;

/**
 * Boots one image and tracks it through the ladder. Owns the stub (unless given), the machine and the
 * timers; closes all of them on every path out (pass, fail, timeout, abort, exception).
 */
export async function runBootSession(o: BootSessionOptions): Promise<BootSessionResult> {
  const t0 = Date.now();
  const now = () => Date.now() - t0;
  await mkdir(o.artifactsDir, { recursive: true });
  const timeline: BootEvent[] = [];
  const tracker = new StageTracker({
    diskMap: o.diskMap,
    finalStage: o.finalStage,
    timeouts: { overallMs: o.overallTimeoutMs },
    scriptSource: o.scriptSource,
  });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const feed = (e: BootEvent) => {
    if (e.kind !== 'tick') timeline.push(e);
    o.onEvent?.(e);
    tracker.consume(e);
    if (tracker.done) resolveDone();
  };
  let lastSerialAt = 0;
  const reader = new ConsoleReader((line: ConsoleLineEvent) => feed(line));

  const ownStub = !o.stub;
  const stub = o.stub ?? (await startHttpStub({ routes: o.routes, startedAt: t0, marker: o.marker }));
  stub.onRequest = (e) => feed({ ...e, atMs: e.atMs });
  let machine: Machine | undefined;
  let tick: NodeJS.Timeout | undefined;
  const onAbort = () => resolveDone();
  o.signal?.addEventListener('abort', onAbort);
  try {
    machine = await Machine.start(
      { ...o.machine, image: o.image, startedAt: t0, ...(o.bootfile ? { bootfileUrl: stub.guestUrl(o.bootfile) } : {}) },
      {
        onSerial: (chunk, atMs) => {
          lastSerialAt = atMs;
          reader.push(chunk, atMs);
        },
        onEvent: (e) => {
          if (e.kind === 'exit') reader.end(e.atMs);
          feed(e);
        },
      },
      o.signal,
    );
    tick = setInterval(() => {
      const at = now();
      if (at - lastSerialAt >= PARTIAL_AFTER_MS) reader.flushPartial(at);
      feed({ kind: 'tick', atMs: at });
    }, TICK_MS);
    await done;
  } finally {
    if (tick) clearInterval(tick);
    o.signal?.removeEventListener('abort', onAbort);
    await machine?.close();
    if (ownStub) await stub.close();
  }
  const result = tracker.result();
  if (o.signal?.aborted && !tracker.done) {
    result.verdict = 'error';
    result.endedBy = 'aborted (Ctrl-C)';
  }
  const wallMs = now();
  const dir = o.artifactsDir;
  await Promise.all([
    writeFile(join(dir, 'serial.raw'), reader.raw()),
    writeFile(join(dir, 'console.txt'), reader.text()),
    writeFile(join(dir, 'timeline.json'), JSON.stringify(timeline, null, 1)),
    writeFile(join(dir, 'ledger.json'), JSON.stringify(stub.ledger, null, 2)),
    writeFile(join(dir, 'qemu-cmdline.txt'), (machine?.argv ?? []).map(shellQuote).join(' ') + '\n'),
    writeFile(join(dir, 'qemu-stderr.txt'), machine?.stderrText() ?? ''),
    writeFile(join(dir, 'block-trace.txt'), machine?.traceText() ?? ''),
  ]);
  return { ...result, ledger: [...stub.ledger], consoleText: reader.text(), wallMs, argv: machine?.argv ?? [], artifactsDir: dir };
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
