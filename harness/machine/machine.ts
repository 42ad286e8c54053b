import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BootchainError } from '../errors.ts';
import type { MachineExitEvent } from '../events.ts';
import { buildQemuArgv, qemuViewOf } from './build-argv.ts';
import { guardGroup } from './orphan-guard.ts';
import { GuestClock } from './guest-clock.ts';
import { detectInfraError, explainSpawnFailure, lastQemuError } from './infra-error.ts';
import { QmpClient } from './qmp-client.ts';
import { parseCpuState, type CpuState } from './cpu-state.ts';
import { registerCleanup, registerExitKill } from '../reaper.ts';
import { tempPrefix } from '../leftovers.ts';
import { resolveMachineOptions } from './resolve-options.ts';
import { addQemuCpu, procCpuMs, qemuEnded, qemuStarted } from './cpu-account.ts';
import { findExecutable, groupAlive, killGroup, spawnOwned, type OwnedProcess } from './spawn-owned.ts';
import { LineSplitter, parseSerialWriteLine, parseTraceLine, sinceStart, toDiskReadEvent, UartDecoder } from './trace-parse.ts';
import type { MachineHooks, MachineOptions, MachinePaths, ResolvedMachineOptions } from './types.ts';

const QMP_CONNECT_MS = 10_000;
const QUIT_WAIT_MS = 2_000;
const KILL_WAIT_MS = 2_000;
const MAX_UNIX_PATH = 107;

/**
 * Owner of one QEMU process, its temp dir and its QMP socket. close() (idempotent) runs on
 * success, error, abort and SIGINT/SIGTERM (via the reaper): QMP quit, bounded wait, SIGKILL of
 * the process group, temp dir removed.
 */
export class Machine implements AsyncDisposable {
  /** Exact command line (without the setpriv/namespace prefix). */
  readonly argv: string[];
  /** Resolves once, when QEMU has ended (or could not start). */
  readonly exited: Promise<MachineExitEvent>;
  /** Epoch ms that every atMs is relative to. */
  readonly startedAt: number;
  readonly options: ResolvedMachineOptions;
  readonly paths: MachinePaths;

  #hooks: MachineHooks;
  #proc: OwnedProcess | null = null;
  /** QEMU's CPU time (user + system, ms) at the last look: sampled while it runs, since /proc forgets it at exit. */
  #qemuCpuMs = 0;
  #qmp: QmpClient | null = null;
  #guestClock: GuestClock | null = null;
  #stderrLines: string[] = [];
  #traceLines: string[] = [];
  /** Serial bytes come from the `serial_write` trace (exact times); stdout only if this QEMU lacks it. */
  #serialFromTrace = true;
  #stdoutChunks: Array<{ chunk: Buffer; atMs: number }> = [];
  #uart = new UartDecoder();
  #infraError: string | null = null;
  #killedByUs = false;
  #closing: Promise<void> | null = null;
  #hasExited = false;
  #resolveExited!: (e: MachineExitEvent) => void;
  #unregister: Array<() => void> = [];
  #releaseGuard: () => void = () => undefined;
  #shots = 0;

  private constructor(opts: ResolvedMachineOptions, paths: MachinePaths, hooks: MachineHooks) {
    this.options = opts;
    this.paths = paths;
    this.startedAt = opts.startedAt;
    this.#hooks = hooks;
    this.argv = buildQemuArgv(opts, paths);
    this.exited = new Promise((r) => (this.#resolveExited = r));
  }

  /** Starts QEMU and connects QMP. QEMU's own failures resolve `exited` with infraError. */
  static async start(opts: MachineOptions, hooks: MachineHooks, signal?: AbortSignal): Promise<Machine> {
    const resolved = resolveMachineOptions(opts);
    signal?.throwIfAborted();
    await checkImage(resolved.image);
    const dir = await fsp.mkdtemp(path.join(resolved.tmpRoot, tempPrefix('qemu')));
    const paths: MachinePaths = { dir, qmpSocket: path.join(dir, 'qmp.sock') };
    const m = new Machine(resolved, paths, hooks);
    // Register before spawning: a signal during start-up must still clean up.
    m.#unregister.push(registerCleanup(() => m.close()));
    m.#unregister.push(registerExitKill(() => m.#killSync()));
    // QEMU chroots into this dir (0700) and drops to its user: the dir is that user's, nobody else's.
    if (resolved.confine) await prepareChroot(dir, resolved).catch(async (e: unknown) => {
      await m.close();
      throw e;
    });
    const onAbort = (): void => void m.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    void m.exited.then(() => signal?.removeEventListener('abort', onAbort));
    try {
      if (paths.qmpSocket.length > MAX_UNIX_PATH)
        throw new BootchainError(
          'MACHINE_TMP_PATH_TOO_LONG',
          `QMP socket path ${paths.qmpSocket} is longer than ${MAX_UNIX_PATH} bytes`,
          'use a shorter tmpRoot',
        );
      // Without the guest clock QEMU starts running at once (no -S): wait for the gate before spawning it.
      if (!resolved.guestClock && resolved.startGate) await resolved.startGate;
      m.#spawn();
      await m.#connectQmp(signal);
    } catch (e) {
      await m.close();
      throw e;
    }
    return m;
  }

  #spawn(): void {
    if (!findExecutable(this.options.qemuBinary)) {
      // Checked here, not by spawn: behind setpriv/namespace wrappers ENOENT would be the wrapper's text.
      const ev: MachineExitEvent = { kind: 'exit', atMs: Date.now() - this.startedAt, code: null, signal: null };
      ev.infraError = explainSpawnFailure(this.options.qemuBinary, Object.assign(new Error('not found'), { code: 'ENOENT' }));
      this.#hasExited = true;
      this.#resolveExited(ev);
      queueMicrotask(() => this.#hooks.onEvent(ev));
      return;
    }
    // Only what QEMU needs: no host environment (tokens, secrets) reaches it or what it records.
    const env: Record<string, string> = { TMPDIR: this.paths.dir, ...(process.env['PATH'] ? { PATH: process.env['PATH'] } : {}) };
    const proc = spawnOwned(this.argv, { wrapper: this.options.wrapper, env, extendEnv: false });
    this.#proc = proc;
    qemuStarted();
    if (this.options.confine && proc.pid !== undefined) {
      this.#releaseGuard = guardGroup(proc.pid);
      void this.exited.then(() => this.#releaseGuard());
    }
    proc.stdout.on('data', (chunk: Buffer) => {
      this.#guestClock?.nudge();
      const atMs = Date.now() - this.startedAt;
      if (this.#serialFromTrace) {
        // Kept (small) in case this QEMU turns out to lack the serial_write trace point.
        if (this.#stdoutChunks.length < 10_000) this.#stdoutChunks.push({ chunk, atMs });
      } else this.#hooks.onSerial(chunk, atMs);
    });
    const split = new LineSplitter();
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      split.push(d).forEach((l) => this.#onStderrLine(l));
      this.#flushSerial();
    });
    void proc.then((result) => {
      split.flush().forEach((l) => this.#onStderrLine(l));
      this.#flushSerial();
      const cause = (result as { cause?: unknown }).cause;
      const spawnFailed = proc.pid === undefined || (result.exitCode === undefined && !result.signal);
      const ev: MachineExitEvent = {
        kind: 'exit',
        atMs: Date.now() - this.startedAt,
        code: result.exitCode ?? null,
        signal: result.signal ?? null,
      };
      const infra = spawnFailed
        ? explainSpawnFailure(this.options.qemuBinary, cause)
        : this.#infraError ?? (this.#killedByUs ? null : this.#explainExit(ev));
      if (infra) ev.infraError = infra;
      this.#hasExited = true;
      qemuEnded();
      this.#guestClock?.stop();
      this.#resolveExited(ev);
      this.#hooks.onEvent(ev);
    });
  }

  #explainExit(ev: MachineExitEvent): string | null {
    if (ev.code === 0) return null;
    const text = this.stderrText();
    const known = detectInfraError(text);
    if (known) return known.message;
    const how = ev.signal ? `was killed by ${ev.signal}` : `exited with code ${ev.code}`;
    const qemuSaid = lastQemuError(text);
    return `QEMU ${how}${qemuSaid ? `: ${qemuSaid}` : ''}`;
  }

  /**
   * Serial bytes from the trace, batched: bytes QEMU wrote within SERIAL_BATCH_MS of the batch's first go
   * to the console together, stamped with that first byte's time (one call per burst, not per byte).
   */
  #serialBatch: number[] = [];
  #serialBatchAt = 0;

  #flushSerial(): void {
    if (this.#serialBatch.length === 0) return;
    const bytes = Buffer.from(this.#serialBatch);
    this.#serialBatch = [];
    this.#hooks.onSerial(bytes, this.#serialBatchAt);
  }

  #onStderrLine(line: string): void {
    const w = parseSerialWriteLine(line);
    if (w) {
      const byte = this.#uart.push(w);
      if (byte !== null && this.#serialFromTrace) {
        const at = sinceStart(w.epochMs, this.startedAt);
        if (this.#serialBatch.length && at - this.#serialBatchAt >= SERIAL_BATCH_MS) this.#flushSerial();
        if (this.#serialBatch.length === 0) this.#serialBatchAt = at;
        this.#serialBatch.push(byte);
      }
      return;
    }
    // Anything else keeps its order relative to the console.
    this.#flushSerial();
    if (this.#serialFromTrace && line.includes("trace event 'serial_write' does not exist")) {
      this.#serialFromTrace = false;
      for (const c of this.#stdoutChunks.splice(0)) this.#hooks.onSerial(c.chunk, c.atMs);
    }
    const read = parseTraceLine(line);
    if (read) {
      this.#guestClock?.nudge();
      this.#traceLines.push(line);
      this.#hooks.onEvent(toDiskReadEvent(read, this.startedAt));
      return;
    }
    this.#stderrLines.push(line);
    const infra = this.#infraError === null ? detectInfraError(line) : null;
    if (infra?.fatalWhileRunning) {
      // QEMU pauses (KVM) or aborts: end it, the guest cannot make progress.
      this.#infraError = infra.message;
      void this.#stop();
    }
  }

  async #connectQmp(signal?: AbortSignal): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.pid === undefined) return; // spawn failed: `exited` carries the reason
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    void this.exited.then(() => stop.abort(new Error('QEMU exited')));
    try {
      this.#qmp = await QmpClient.connect(this.paths.qmpSocket, QMP_CONNECT_MS, stop.signal);
      // QEMU made it with its umask (0755): only the owner may talk to it.
      await fsp.chmod(this.paths.qmpSocket, 0o600).catch(() => undefined);
      if (this.options.guestClock && !this.#hasExited) {
        const qmp = this.#qmp;
        this.#guestClock = new GuestClock((c, a) => qmp.execute(c, a), {
          now: () => Date.now() - this.startedAt,
          rtcBaseSec: this.options.rtcBaseSec,
        });
        // Whatever the guest needs from outside (the private network's stubs) is up before it runs.
        if (this.options.startGate) await this.options.startGate;
        // The guest starts (guest time 0) at `cont`: an exact anchor for the first, unsampled stretch.
        const before = Date.now() - this.startedAt;
        await qmp.execute('cont');
        this.#guestClock.anchor((before + Date.now() - this.startedAt) / 2);
        this.#guestClock.start();
      }
    } catch (e) {
      if (!this.#hasExited) throw e; // QEMU is up but QMP is not: a real failure
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The guest's own clock sampled over QMP (null when `guestClock: false` or QMP never came up).
   * `guestClock.guestAt(atMs)` gives the guest ms of any event; samples stay readable after close().
   */
  get guestClock(): GuestClock | null {
    return this.#guestClock;
  }


  /** The CPU's state now (halted? where?), or null when QMP is not up or QEMU has gone. */
  async cpuState(): Promise<CpuState | null> {
    if (!this.#qmp || this.#hasExited) return null;
    try {
      return parseCpuState(String(await this.#qmp.execute('human-monitor-command', { 'command-line': 'info registers' })));
    } catch {
      return null;
    }
  }

  /**
   * Saves the VGA screen as PNG via QMP. QEMU writes it inside its own temp dir (all a confined QEMU can
   * reach), then the harness moves it to `pngPath`.
   */
  async screendump(pngPath: string): Promise<void> {
    if (!this.#qmp || this.#closing || this.#hasExited)
      throw new BootchainError('MACHINE_NOT_RUNNING', `Cannot take a screendump to ${pngPath}: QEMU is not running`);
    const name = `screen-${++this.#shots}.png`;
    const inDir = path.join(this.paths.dir, name);
    try {
      await this.#qmp.execute('screendump', { filename: qemuViewOf(this.options, this.paths, name), format: 'png' });
      await fsp.copyFile(inDir, path.resolve(pngPath));
      await fsp.rm(inDir, { force: true });
    } catch (e) {
      throw new BootchainError('MACHINE_SCREENDUMP_FAILED', `QMP screendump to ${pngPath} failed: ${String(e)}`,
        'the guest may have just exited; check the directory is writable', { cause: e });
    }
  }

  /** Bytes typed into the guest's serial port (its stdin: `-serial stdio`), for an attached console. */
  sendSerial(data: Buffer | string): void {
    if (!this.#proc || this.#hasExited || this.#closing) return;
    this.#proc.stdin.write(data);
  }

  /** Stops the guest's CPUs (QMP `stop`); false when QMP is not up or QEMU has gone. */
  async pause(): Promise<boolean> {
    if (!this.#qmp || this.#hasExited || this.#closing) return false;
    try {
      await this.#qmp.execute('stop');
      return true;
    } catch {
      return false;
    }
  }

  /** QEMU's stderr without the disk-read trace lines. */
  stderrText(): string {
    return this.#stderrLines.join('\n');
  }

  /** The raw `blk_co_preadv` trace lines, for artifacts. */
  traceText(): string {
    return this.#traceLines.join('\n');
  }

  /** QEMU's CPU time so far in ms (user + system), read from /proc; the last value once it has exited. */
  hostCpuMs(): number {
    const pid = this.#proc?.pid;
    if (pid !== undefined && !this.#hasExited) {
      const ms = procCpuMs(pid);
      if (ms !== null) this.#qemuCpuMs = ms;
    }
    return this.#qemuCpuMs;
  }

  async #stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.pid === undefined) return;
    const pid = proc.pid;
    addQemuCpu(this.hostCpuMs());
    const ended = this.exited.then(() => true);
    const within = (ms: number): Promise<boolean> =>
      Promise.race([ended, sleep(ms, undefined, { ref: false }).then(() => false)]);
    this.#killedByUs = true;
    this.#guestClock?.stop();
    if (this.#qmp && groupAlive(pid)) {
      await Promise.race([this.#qmp.execute('quit').catch(() => undefined), sleep(QUIT_WAIT_MS, undefined, { ref: false })]);
      await within(QUIT_WAIT_MS);
    }
    // Always kill the group: QEMU may have left helpers, or ignored quit.
    killGroup(pid, 'SIGKILL');
    await within(KILL_WAIT_MS);
  }

  #killSync(): void {
    const pid = this.#proc?.pid;
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    this.#releaseGuard();
    fs.rmSync(this.paths.dir, { recursive: true, force: true });
  }

  /** Idempotent: stops QEMU and removes the temp dir and QMP socket. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#stop();
      } finally {
        this.#releaseGuard();
        this.#qmp?.close();
        this.#proc?.stdin.destroy();
        await fsp.rm(this.paths.dir, { recursive: true, force: true });
        for (const u of this.#unregister.splice(0)) u();
      }
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Serial bytes this close together (QEMU's trace time) reach the console as one chunk. */
const SERIAL_BATCH_MS = 1;


/**
 * The dir QEMU chroots into is its user's (0700). Inside, the one file QEMU opens after the chroot on its own:
 * etc/resolv.conf, which slirp reads on the guest's first DNS query to know where to forward it.
 */
async function prepareChroot(dir: string, o: ResolvedMachineOptions): Promise<void> {
  const resolvConf = o.resolvConf ?? (await fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  const { uid, gid } = o.confine!;
  const etc = path.join(dir, 'etc');
  await fsp.mkdir(etc, { mode: 0o700 });
  await fsp.writeFile(path.join(etc, 'resolv.conf'), resolvConf, { mode: 0o600 });
  // Owner-only, and the owner is QEMU's user: nobody else can read or change what it sees.
  for (const p of [path.join(etc, 'resolv.conf'), etc, dir]) await fsp.chown(p, uid, gid);
}

async function checkImage(image: string): Promise<void> {
  try {
    const st = await fsp.stat(image);
    if (!st.isFile() && !st.isBlockDevice()) throw new Error('not a regular file');
    await fsp.access(image, fs.constants.R_OK);
  } catch (e) {
    throw new BootchainError(
      'IMAGE_NOT_FOUND',
      `Disk image ${image} cannot be read: ${e instanceof Error ? e.message : String(e)}`,
      'build it first (bootchain build) or pass the path of an existing raw image',
      { cause: e },
    );
  }
}
