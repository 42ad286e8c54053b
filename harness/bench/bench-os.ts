import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { BootReport } from '../report/json-report.ts';
import { median, ms, ratio, table } from './stats.ts';

/** One `bootchain run --scenario os-handoff`: wall time, and the report's chain/init stage times. */
async function handoff(realtime: boolean, shift?: number): Promise<{ wall: number; chain: number; init: number }> {
  const t0 = performance.now();
  const r = await execa('node', ['bin/bootchain.js', 'run', '--scenario', 'os-handoff', '--json', ...(realtime ? ['--realtime'] : []), ...(shift !== undefined ? ['--icount-shift', String(shift)] : [])], { reject: false });
  const wall = performance.now() - t0;
  const summary = JSON.parse(r.stdout) as Array<{ ok: boolean; artifacts: string }>;
  if (!summary[0]?.ok) return { wall, chain: NaN, init: NaN };
  const rep = JSON.parse(await readFile(`${summary[0].artifacts}/report.json`, 'utf8')) as BootReport;
  const at = (id: string): number => rep.stages.find((s) => s.id === id)?.atMs ?? NaN;
  return { wall, chain: at('chain'), init: at('init') };
}

/** os-handoff (13 stages, to a running OS) in real time and at several warp shifts, split firmware / OS. */
export async function benchOs(log: (s: string) => void, runs = 3): Promise<void> {
  const modes: Array<{ name: string; realtime: boolean; shift?: number }> = [
    { name: 'real time (--realtime) — baseline', realtime: true },
    { name: 'warp shift 4', realtime: false, shift: 4 },
    { name: "warp shift 6 (the scenario's default)", realtime: false, shift: 6 },
    { name: 'warp shift 8 (the firmware default)', realtime: false, shift: 8 },
  ];
  const results = new Map<string, Array<Awaited<ReturnType<typeof handoff>>>>();
  for (let i = 0; i < runs; i++) for (const m of modes) results.set(m.name, [...(results.get(m.name) ?? []), await handoff(m.realtime, m.shift)]);
  const base = median(results.get(modes[0]!.name)!.map((x) => x.wall));
  const rows = modes.map((m) => {
    const xs = results.get(m.name)!;
    const ok = xs.filter((x) => !Number.isNaN(x.init));
    if (ok.length === 0) return [m.name, 'did not reach init', '-', '-', '-'];
    const wall = median(ok.map((x) => x.wall));
    return [m.name + (ok.length < xs.length ? ` (${xs.length - ok.length} of ${xs.length} failed)` : ''), ms(wall), ms(median(ok.map((x) => x.chain))), ms(median(ok.map((x) => x.init - x.chain))), ratio(wall, base)];
  });
  log(`## to a running OS: os-handoff (13 stages), ${runs} run${runs > 1 ? 's' : ''} per mode`);
  log(table(['mode', 'whole run', 'to chain (firmware + iPXE)', 'chain → init (OS)', 'vs real time'], rows));
  log('');
}
