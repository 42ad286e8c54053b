import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BootchainError } from '../errors.ts';
import type { MachineExitEvent } from '../events.ts';
import { buildQemuArgv } from './build-argv.ts';
import { GuestClock } from './guest-clock.ts';
import { detectInfraError, explainSpawnFailure, lastQemuError } from './infra-error.ts';
import { QmpClient } from './qmp-client.ts';
import { parseCpuState, type CpuState } from './cpu-state.ts';
import { registerCleanup, registerExitKill } from '../reaper.ts';
import { tempPrefix } from '../leftovers.ts';
import { resolveMachineOptions } from './resolve-options.ts';
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
    const proc = spawnOwned(this.argv, { wrapper: this.options.wrapper, env: { TMPDIR: this.paths.dir } });
    this.#proc = proc;
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
    proc.stderr.on('data', (d: string) => split.push(d).forEach((l) => this.#onStderrLine(l)));
    void proc.then((result) => {
      split.flush().forEach((l) => this.#onStderrLine(l));
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

  #onStderrLine(line: string): void {
    const w = parseSerialWriteLine(line);
    if (w) {
      const byte = this.#uart.push(w);
      if (byte !== null && this.#serialFromTrace) this.#hooks.onSerial(Buffer.of(byte), sinceStart(w.epochMs, this.startedAt));
      return;
    }
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


  /** Saves the VGA screen as PNG via QMP. */
  /** The CPU's state now (halted? where?), or null when QMP is not up or QEMU has gone. */
  async cpuState(): Promise<CpuState | null> {
    if (!this.#qmp || this.#hasExited) return null;
    try {
      return parseCpuState(String(await this.#qmp.execute('human-monitor-command', { 'command-line': 'info registers' })));
    } catch {
      return null;
    }
  }

  async screendump(pngPath: string): Promise<void> {
    if (!this.#qmp || this.#closing || this.#hasExited)
      throw new BootchainError('MACHINE_NOT_RUNNING', `Cannot take a screendump to ${pngPath}: QEMU is not running`);
    try {
      await this.#qmp.execute('screendump', { filename: path.resolve(pngPath), format: 'png' });
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

  async #stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.pid === undefined) return;
    const pid = proc.pid;
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
    fs.rmSync(this.paths.dir, { recursive: true, force: true });
  }

  /** Idempotent: stops QEMU and removes the temp dir and QMP socket. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.#stop();
      } finally {
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
