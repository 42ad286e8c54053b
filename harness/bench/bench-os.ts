import { execa } from 'execa';
import type { BootReport } from '../report/json-report.ts';
import { median, ms, ratio, table } from './stats.ts';

/** One `bootchain run --scenario os-handoff`: wall time, and the report's chain/init stage times. */
async function handoff(realtime: boolean): Promise<{ wall: number; chain: number; init: number }> {
  const t0 = performance.now();
  const r = await execa('node', ['bin/bootchain.js', 'run', '--scenario', 'os-handoff', '--json', ...(realtime ? ['--realtime'] : [])], { reject: false });
  const wall = performance.now() - t0;
  const summary = JSON.parse(r.stdout) as Array<{ ok: boolean; artifacts: string }>;
  if (!summary[0]?.ok) throw new Error(`bench: os-handoff did not pass${realtime ? ' in real time' : ''}: ${r.stderr.slice(-400)}`);
  const { readFile } = await import('node:fs/promises');
  const rep = JSON.parse(await readFile(`${summary[0].artifacts}/report.json`, 'utf8')) as BootReport;
  const at = (id: string): number => rep.stages.find((s) => s.id === id)?.atMs ?? NaN;
  return { wall, chain: at('chain'), init: at('init') };
}

/** os-handoff (13 stages, to a running OS) under its default warp (shift 6) vs real time, split firmware / OS. */
export async function benchOs(log: (s: string) => void, runs = 3): Promise<void> {
  const warp: Array<Awaited<ReturnType<typeof handoff>>> = [];
  const real: Array<Awaited<ReturnType<typeof handoff>>> = [];
  for (let i = 0; i < runs; i++) {
    real.push(await handoff(true));
    warp.push(await handoff(false));
  }
  const row = (name: string, xs: typeof warp, base: typeof warp): string[] => [
    name,
    ms(median(xs.map((x) => x.wall))),
    ms(median(xs.map((x) => x.chain))),
    ms(median(xs.map((x) => x.init - x.chain))),
    ratio(median(xs.map((x) => x.wall)), median(base.map((x) => x.wall))),
  ];
  log(`## to a running OS: os-handoff (13 stages), ${runs} runs each`);
  log(table(['mode', 'whole run', 'to chain (firmware + iPXE)', 'chain → init (OS)', 'vs real time'], [row('real time (--realtime) — baseline', real, real), row('warp, icount shift 6 (the scenario\'s default)', warp, real)]));
  log('');
}
