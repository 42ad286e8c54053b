import t from 'tap';
import { PM_TIMER_HZ, PM_WRAP_MS, interpolateGuest, parsePortRead, rtcTimeToEpochSec, unwrapReading, type GuestSample } from '../../harness/machine/guest-clock-math.ts';

/** The reading a guest at `guestMs` would give (RTC and PM read at the same instant). */
const readingAt = (guestMs: number, wallMs = 0, rtcSkewSec = 0) => ({
  wallMs,
  pmTicks: Math.floor((guestMs / 1000) * PM_TIMER_HZ) & 0xffffff,
  rtcBeforeSec: Math.floor(guestMs / 1000),
  rtcAfterSec: Math.floor(guestMs / 1000) + rtcSkewSec,
});

t.test('parses HMP port reads; all-ones (port not decoded yet) is null', async (t) => {
  t.equal(parsePortRead('portl[0x0608] = 0x00ca1cf0\r\n'), 0xca1cf0);
  t.equal(parsePortRead('portl[0x0608] = 0xffffffff\r\n'), null);
  t.equal(parsePortRead('invalid char in format'), null);
  t.equal(parsePortRead(42), null);
});

t.test('RTC struct tm → epoch seconds', async (t) => {
  t.equal(rtcTimeToEpochSec({ tm_year: 100, tm_mon: 0, tm_mday: 1, tm_hour: 0, tm_min: 0, tm_sec: 42 }), 946684842);
  t.equal(rtcTimeToEpochSec({ tm_year: 100 }), null);
});

t.test('unwraps across many wraps, including wraps skipped between samples', async (t) => {
  // Guest times far apart (warp skipping several 4.69 s wraps between two samples) all come back exact.
  for (const g of [0.5, 999, 4686, 4687.5, 9400, 15_000.25, 61_234, 411_000, 3_600_123]) {
    const s = unwrapReading(readingAt(g));
    t.ok(s && Math.abs(s.guestMs - g) < 0.01, `guest ${g} → ${s?.guestMs}`);
    t.equal(s?.source, 'pm');
  }
  // The RTC ticked during the read: still exact.
  const s = unwrapReading(readingAt(9999.9, 0, 1));
  t.ok(s && Math.abs(s.guestMs - 9999.9) < 0.01);
});

t.test('rejects readings where warp skipped > 1 s mid-read, or the PM contradicts the RTC', async (t) => {
  t.equal(unwrapReading({ wallMs: 0, pmTicks: 100, rtcBeforeSec: 3, rtcAfterSec: 9 }), null);
  const g = 20_000;
  const r = readingAt(g);
  // A PM value 2.3 s away from what the RTC says is not the PM timer.
  t.equal(unwrapReading({ ...r, pmTicks: (r.pmTicks + Math.floor(2.3 * PM_TIMER_HZ)) & 0xffffff }), null);
});

t.test('before the PM timer is on, the RTC gives a coarse lower bound; floor keeps it monotonic', async (t) => {
  t.same(unwrapReading({ wallMs: 5, pmTicks: null, rtcBeforeSec: 2, rtcAfterSec: 2 }), { wallMs: 5, guestMs: 2000, source: 'rtc' });
  const s = unwrapReading(readingAt(100), 3000);
  t.equal(s?.guestMs, 3000);
});

t.test('without an RTC, continuity unwraps from the previous sample', async (t) => {
  const fine = (ms: number) => Math.floor((ms / 1000) * PM_TIMER_HZ) & 0xffffff;
  const s = unwrapReading({ wallMs: 0, pmTicks: fine(PM_WRAP_MS + 50), rtcBeforeSec: null, rtcAfterSec: null }, PM_WRAP_MS - 20);
  t.ok(s && Math.abs(s.guestMs - (PM_WRAP_MS + 50)) < 0.01, String(s?.guestMs));
});

t.test('interpolation between samples, bounded extrapolation after the last', async (t) => {
  const samples: GuestSample[] = [
    { wallMs: 100, guestMs: 0, source: 'pm' },
    { wallMs: 200, guestMs: 100, source: 'pm' },
    { wallMs: 300, guestMs: 5100, source: 'pm' }, // warp: 5 s of idle skipped in 100 ms
  ];
  t.equal(interpolateGuest(samples, 50), 0, 'before the first sample: from the origin (both clocks start with QEMU)');
  t.equal(interpolateGuest([{ wallMs: 200, guestMs: 100, source: 'pm' }], 100), 50);
  t.equal(interpolateGuest(samples, -1), null);
  t.equal(interpolateGuest(samples, 150), 50);
  t.equal(interpolateGuest(samples, 250), 2600);
  t.equal(interpolateGuest(samples, 300), 5100);
  // Past the last sample: the recent rate (over ≥200 ms: 5100/200 per ms), for at most 10 ms, then held.
  t.equal(interpolateGuest(samples, 305, 10), 5100 + 25.5 * 5);
  t.equal(interpolateGuest(samples, 900, 10), 5100 + 25.5 * 10);
  t.equal(interpolateGuest([], 10), null);
});
