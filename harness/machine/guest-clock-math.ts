/**
 * Pure arithmetic of the guest clock: the ACPI PM timer (24 bits at 3.579545 MHz, driven by QEMU's
 * virtual clock) gives the fine part, the CMOS RTC (1 s, `-rtc clock=vm`) picks the wrap count.
 */

export const PM_TIMER_HZ = 3_579_545;
export const PM_TIMER_MASK = 0xff_ffff;
/** Guest ms between two PM timer wraps (≈4686.9). */
export const PM_WRAP_MS = ((PM_TIMER_MASK + 1) * 1000) / PM_TIMER_HZ;

/** One reading: RTC before, PM timer, RTC after (all relative to the RTC base, in guest seconds). */
export interface RawClockReading {
  /** Host wall ms (since machine start) halfway through the round trip. */
  wallMs: number;
  /** PM timer ticks, or null when the port is not decoded yet (reads all-ones before the firmware enables it). */
  pmTicks: number | null;
  rtcBeforeSec: number | null;
  rtcAfterSec: number | null;
}

export interface GuestSample {
  wallMs: number;
  guestMs: number;
  /** 'pm': PM timer unwrapped (sub-ms); 'rtc': the RTC alone (±1 s, before the PM timer is on). */
  source: 'pm' | 'rtc';
}

/** HMP `i /w 0x608` → "portl[0x0608] = 0x00ca1cf0": the ticks, or null when not a 24-bit value. */
export function parsePortRead(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /=\s*0x([0-9a-f]+)/i.exec(text);
  if (!m?.[1]) return null;
  const v = parseInt(m[1], 16);
  return v <= PM_TIMER_MASK ? v : null;
}

/** QOM `rtc-time` (struct tm) → seconds since the Unix epoch, or null when malformed. */
export function rtcTimeToEpochSec(tm: unknown): number | null {
  if (typeof tm !== 'object' || tm === null) return null;
  const r = tm as Record<string, unknown>;
  const keys = ['tm_year', 'tm_mon', 'tm_mday', 'tm_hour', 'tm_min', 'tm_sec'] as const;
  const v = keys.map((k) => r[k]);
  if (!v.every((x): x is number => typeof x === 'number' && Number.isInteger(x))) return null;
  const [year, mon, mday, hour, min, sec] = v as [number, number, number, number, number, number];
  return Date.UTC(1900 + year, mon, mday, hour, min, sec) / 1000;
}

/**
 * Guest ms of one reading, or null when it cannot be trusted (RTC moved more than 1 s during the
 * read: warp skipped time mid-sample). The RTC window [before, after+1 s) is at most 2 s wide, less than
 * half a PM wrap, so exactly one wrap count fits. `floorMs` (the previous sample) keeps the result monotonic.
 */
export function unwrapReading(r: RawClockReading, floorMs = 0): GuestSample | null {
  const { pmTicks, rtcBeforeSec: lo, rtcAfterSec: hi } = r;
  if (lo === null || hi === null) {
    // No RTC (the user set their own -rtc): continuity only, blind to wraps skipped between samples.
    if (pmTicks === null) return null;
    const fineMs = (pmTicks * 1000) / PM_TIMER_HZ;
    const wraps = Math.max(0, Math.ceil((floorMs - fineMs) / PM_WRAP_MS));
    return { wallMs: r.wallMs, guestMs: wraps * PM_WRAP_MS + fineMs, source: 'pm' };
  }
  if (hi < lo || hi - lo > 1) return null;
  if (pmTicks === null) {
    // Coarse: the start of the second the RTC shows (a lower bound, so later PM samples stay monotonic).
    return { wallMs: r.wallMs, guestMs: Math.max(floorMs, lo * 1000), source: 'rtc' };
  }
  const fineMs = (pmTicks * 1000) / PM_TIMER_HZ;
  const midMs = ((lo + hi) / 2) * 1000 + 500;
  const wraps = Math.round((midMs - fineMs) / PM_WRAP_MS);
  const guestMs = Math.max(0, wraps) * PM_WRAP_MS + fineMs;
  // A PM value that contradicts the RTC by more than 1.5 s is not the PM timer (another port/firmware).
  if (Math.abs(guestMs - midMs) > 1500 + (hi - lo) * 500) return null;
  return { wallMs: r.wallMs, guestMs: Math.max(floorMs, guestMs), source: 'pm' };
}

/**
 * Guest ms at a host wall time: linear between the samples around it; past the last sample, the last
 * sample plus the recent rate for at most `maxExtrapolateMs` (then held); null before the first sample.
 * `samples` must be sorted by wallMs.
 */
export function interpolateGuest(samples: readonly GuestSample[], wallMs: number, maxExtrapolateMs = 100): number | null {
  const n = samples.length;
  const first = samples[0];
  const last = samples[n - 1];
  if (!first || !last || wallMs < 0) return null;
  // Before the first sample (QMP connects ~0.1-0.3 s after spawn): both clocks start at QEMU's start,
  // so interpolate from the origin — early events (SeaBIOS's banner) still get a guest time.
  if (wallMs < first.wallMs) return first.wallMs > 0 ? Math.max(0, (first.guestMs * wallMs) / first.wallMs) : null;
  if (wallMs >= last.wallMs) {
    const prev = findBefore(samples, last.wallMs - 200) ?? samples[n - 2];
    if (!prev || prev.wallMs >= last.wallMs) return last.guestMs;
    const rate = (last.guestMs - prev.guestMs) / (last.wallMs - prev.wallMs);
    return last.guestMs + rate * Math.min(wallMs - last.wallMs, maxExtrapolateMs);
  }
  // Binary search: the last sample at or before wallMs.
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid] as GuestSample).wallMs <= wallMs) lo = mid;
    else hi = mid;
  }
  const a = samples[lo] as GuestSample;
  const b = samples[hi] as GuestSample;
  if (b.wallMs === a.wallMs) return a.guestMs;
  return a.guestMs + ((b.guestMs - a.guestMs) * (wallMs - a.wallMs)) / (b.wallMs - a.wallMs);
}

function findBefore(samples: readonly GuestSample[], wallMs: number): GuestSample | undefined {
  for (let i = samples.length - 2; i >= 0; i--) {
    const s = samples[i] as GuestSample;
    if (s.wallMs <= wallMs) return s;
  }
  return undefined;
}
