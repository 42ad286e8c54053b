import {
  interpolateGuest,
  parsePortRead,
  rtcTimeToEpochSec,
  unwrapReading,
  type GuestSample,
  type RawClockReading,
} from './guest-clock-math.ts';

export type QmpExecute = (command: string, args?: Record<string, unknown>) => Promise<unknown>;

export interface GuestClockOptions {
  /** Host ms since machine start (the Machine's clock for atMs). */
  now: () => number;
  /** Epoch seconds the guest RTC started from (`-rtc base=…,clock=vm`); null = no usable RTC. */
  rtcBaseSec: number | null;
  /** Ms between samples (default 25). */
  intervalMs?: number;
  /** I/O port of the PM timer: PM base + 8; SeaBIOS sets the base to 0x600 on pc and q35. */
  pmTimerPort?: number;
}

/** Cost of the sampling itself, for reports and the overhead check. */
export interface GuestClockStats {
  samples: number;
  /** Readings dropped because the RTC moved > 1 s during the read (warp mid-sample). */
  rejected: number;
  rttMedianMs: number | null;
  rttMaxMs: number | null;
}

const MAX_SAMPLES = 200_000;
const NUDGE_GAP_MS = 8;
/**
 * A PM-timer-only reading (one QMP command instead of three) is unambiguous while less than one PM wrap
 * (4.69 s of guest time, ~190 ms of wall time at the fastest warp) passed since the last precise sample:
 * the RTC pair is read only after a gap of this much wall time, and at least this often.
 */
const PM_ONLY_GAP_MS = 60;
const FULL_EVERY_MS = 400;

/**
 * The guest's own clock, read from the host while QEMU runs: every `intervalMs` one QMP round trip
 * (RTC, PM timer, RTC, pipelined) gives a (wallMs, guestMs) pair; guestAt() interpolates. Owned by
 * the Machine; stop() is idempotent and never throws.
 */
export class GuestClock {
  readonly samples: GuestSample[] = [];
  #qmp: QmpExecute;
  #o: Required<GuestClockOptions>;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #inflight: Promise<GuestSample | null> | null = null;
  #rtts: number[] = [];
  #rejected = 0;
  #lastPm: GuestSample | null = null;
  #lastStart = -Infinity;
  #lastFull = -Infinity;
  #lastPmAt = -Infinity;

  constructor(qmp: QmpExecute, o: GuestClockOptions) {
    this.#qmp = qmp;
    this.#o = { intervalMs: 25, pmTimerPort: 0x608, ...o };
  }

  /** Starts periodic sampling (first sample immediately). */
  start(): void {
    if (this.#stopped || this.#timer) return;
    const loop = (): void => {
      void this.sample().then(() => {
        if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.intervalMs).unref();
      });
    };
    this.#timer = setTimeout(loop, 0).unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * Asks for a sample now (an event just arrived): the next sample then brackets the event tightly
   * instead of up to `intervalMs` later (under warp, 25 ms wall can be a second of guest time).
   */
  nudge(): void {
    if (this.#stopped || this.#inflight || !this.#timer) return;
    // At most one extra sample per NUDGE_GAP_MS: bursts of disk reads must not flood QMP.
    if (performance.now() - this.#lastStart < NUDGE_GAP_MS) return;
    void this.sample();
  }

  /** Records that the guest clock was 0 at `wallMs` (the machine was resumed from -S then). */
  anchor(wallMs: number): void {
    if (this.samples.length === 0) this.samples.push({ wallMs, guestMs: 0, source: 'pm' });
  }

  /** Guest ms at a host wall time (ms since machine start); null before the first sample. */
  guestAt(wallMs: number): number | null {
    return interpolateGuest(this.samples, wallMs, this.#o.intervalMs * 4);
  }

  /** Latest guest time known (last sample), or null. */
  get lastGuestMs(): number | null {
    return this.samples.at(-1)?.guestMs ?? null;
  }

  /** Takes one sample now (shares a sample already in flight); null when QEMU did not answer. */
  sample(): Promise<GuestSample | null> {
    this.#inflight ??= this.#read().finally(() => (this.#inflight = null));
    return this.#inflight;
  }

  async #read(): Promise<GuestSample | null> {
    if (this.#stopped && this.samples.length > 0) return null;
    const rtc = (): Promise<unknown> => this.#qmp('qom-get', { path: '/machine', property: 'rtc-time' });
    // HMP sizes: /b 1, /h 2, /w 4 bytes (there is no /l).
    const port = `i /w 0x${this.#o.pmTimerPort.toString(16)}`;
    const t0 = this.#o.now();
    const p0 = performance.now();
    this.#lastStart = p0;
    // The RTC pair disambiguates PM wraps; between close precise samples continuity alone does.
    const pmOnly = this.#lastPm !== null && this.#o.rtcBaseSec !== null && p0 - this.#lastPmAt < PM_ONLY_GAP_MS && p0 - this.#lastFull < FULL_EVERY_MS;
    let replies: unknown[];
    try {
      // Pipelined: QEMU answers in order; one round trip for the three reads.
      replies = pmOnly
        ? [null, await this.#qmp('human-monitor-command', { 'command-line': port }), null]
        : await Promise.all([rtc(), this.#qmp('human-monitor-command', { 'command-line': port }), rtc()]);
    } catch {
      this.stop(); // QMP gone: QEMU has exited or is closing
      return null;
    }
    if (!pmOnly) this.#lastFull = p0;
    const rtt = performance.now() - p0;
    if (this.#rtts.length < MAX_SAMPLES) this.#rtts.push(rtt);
    const base = this.#o.rtcBaseSec;
    const toRel = (v: unknown): number | null => {
      if (v === null) return null;
      const s = rtcTimeToEpochSec(v);
      return s === null || base === null ? null : s - base;
    };
    const raw: RawClockReading = {
      wallMs: t0 + rtt / 2,
      pmTicks: parsePortRead(replies[1]),
      rtcBeforeSec: toRel(replies[0]),
      rtcAfterSec: toRel(replies[2]),
    };
    const s = unwrapReading(raw, this.#lastPm?.guestMs ?? 0);
    if (!s) {
      this.#rejected++;
      return null;
    }
    if (s.source === 'pm') {
      // Coarse RTC samples above the first precise one were over-estimates: drop them.
      if (!this.#lastPm) while ((this.samples.at(-1)?.guestMs ?? -1) > s.guestMs) this.samples.pop();
      this.#lastPm = s;
      this.#lastPmAt = p0;
    } else if (this.#lastPm) return s; // the PM timer went away (guest moved its PM base): keep the precise trail
    const last = this.samples.at(-1);
    if (this.samples.length < MAX_SAMPLES && (!last || s.wallMs > last.wallMs)) this.samples.push(s);
    return s;
  }

  stats(): GuestClockStats {
    const r = [...this.#rtts].sort((a, b) => a - b);
    return {
      samples: this.samples.length,
      rejected: this.#rejected,
      rttMedianMs: r.length ? (r[r.length >> 1] as number) : null,
      rttMaxMs: r.at(-1) ?? null,
    };
  }
}
