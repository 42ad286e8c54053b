import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Machine, type GuestSample } from '../../harness/machine/index.ts';
import { defaultChainRoutes, startHttpStub } from '../../harness/network/index.ts';
import { buildSeedImage } from '../machine/fixtures/seed-image.ts';

interface Run {
  chainWallMs: number;
  chainGuestMs: number;
  /** Guest ms when iPXE printed its banner and when it configured the network. */
  samples: GuestSample[];
  rttMedianMs: number | null;
  console: string;
}

/** Boots the seed image until the stub serves the chained script; guest clock sampled throughout. */
async function bootToChain(t: { teardown(fn: () => unknown): void }, img: string, icountShift: number | null): Promise<Run> {
  const t0 = Date.now();
  const stub = await startHttpStub({ routes: defaultChainRoutes('WARP'), startedAt: t0 });
  t.teardown(() => stub.close());
  let serial = '';
  let resolveReq!: (at: number) => void;
  const req = new Promise<number>((r) => (resolveReq = r));
  stub.onRequest = (e) => resolveReq(e.atMs);
  const m = await Machine.start({ image: img, startedAt: t0, icountShift, bootfileUrl: stub.guestUrl('/c.ipxe') }, {
    onSerial: (c) => (serial += c.toString('latin1')),
    onEvent: () => undefined,
  });
  t.teardown(() => m.close());
  const at = await Promise.race([req, new Promise<null>((r) => setTimeout(() => r(null), 60_000).unref())]);
  const gc = m.guestClock;
  await gc?.sample();
  await m.close();
  const tail = serial.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc|\r/g, '').split('\n').slice(-12).join('\n');
  if (at === null || !gc) throw new Error(`no chain request within 60 s (shift ${icountShift}); console tail:\n${tail}`);
  const chainGuestMs = gc.guestAt(at);
  if (chainGuestMs === null) throw new Error('no guest clock sample before the chain request');
  return { chainWallMs: at, chainGuestMs, samples: [...gc.samples], rttMedianMs: gc.stats().rttMedianMs, console: tail };
}

const monotonic = (s: GuestSample[]): boolean => s.every((x, i) => i === 0 || (x.guestMs >= (s[i - 1] as GuestSample).guestMs && x.wallMs > (s[i - 1] as GuestSample).wallMs));

t.test('guest clock against real boots (real time and warp)', { skip: process.getuid?.() !== 0 ? 'needs root (loop mount)' : false }, async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'warp-test-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const img = await buildSeedImage(work);

  const rt = await bootToChain(t, img, null);
  t.ok(monotonic(rt.samples), 'real time: samples monotonic');
  t.ok(rt.samples.filter((s) => s.source === 'pm').length > 50, `real time: PM timer samples (${rt.samples.length})`);
  // Speed and ratios (guest vs wall time, QMP round trip) are figures for `npm run bench`, not assertions here.
  t.comment(`real time: guest ${Math.round(rt.chainGuestMs)} ms vs wall ${rt.chainWallMs} ms at the chain request; QMP round trip median ${rt.rttMedianMs?.toFixed(2)} ms`);
  t.ok(rt.chainGuestMs > 0, 'real time: the guest clock ran');

  const warp = await bootToChain(t, img, 8);
  t.ok(monotonic(warp.samples), 'warp: samples monotonic');
  t.comment(`warp reaches the chain in ${warp.chainWallMs} ms wall (real time ${rt.chainWallMs} ms)`);
  // Guest timers still run in guest time: iPXE's ~3 s ProxyDHCP wait alone is > 3 s of guest time, so the
  // guest clock must not trail the real-time run (it runs ahead: busy loops cost 2^8 ns per instruction).
  t.ok(warp.chainGuestMs > rt.chainGuestMs * 0.8, `warp guest ${Math.round(warp.chainGuestMs)} ms ≥ 0.8 × real-time guest ${Math.round(rt.chainGuestMs)} ms`);
  t.ok(warp.chainGuestMs > warp.chainWallMs, 'warp: guest time runs ahead of wall time');
  // Gaps longer than one PM wrap (4.69 s) between samples happened and were unwrapped (the RTC picks the wrap).
  const maxGap = Math.max(...warp.samples.slice(1).map((s, i) => s.guestMs - (warp.samples[i] as GuestSample).guestMs));
  t.comment(`real time: chain at wall ${rt.chainWallMs} ms / guest ${Math.round(rt.chainGuestMs)} ms; warp(8): wall ${warp.chainWallMs} ms / guest ${Math.round(warp.chainGuestMs)} ms; largest guest step between warp samples ${Math.round(maxGap)} ms`);
});
