import { execa } from 'execa';
import { median, ms, ratio, table } from './stats.ts';

/** `bootchain run --tag TAG --jobs N` as a whole process: wall time and the harness's own CPU time. */
async function runWith(tag: string, jobs: number): Promise<{ wall: number }> {
  const t0 = performance.now();
  const r = await execa('node', ['bin/bootchain.js', 'run', '--tag', tag, '--jobs', String(jobs), '--json'], { reject: false });
  const wall = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`bench: run --tag ${tag} --jobs ${jobs} failed: ${r.stderr.slice(-400)}`);
  return { wall };
}

/** The scenario suite's parallel speed-up on this machine: --jobs 1 vs --jobs 2 (and the core count). */
export async function benchJobs(log: (s: string) => void, runs = 1, tag = 'network'): Promise<void> {
  const one: number[] = [];
  const two: number[] = [];
  for (let i = 0; i < runs; i++) {
    one.push((await runWith(tag, 1)).wall);
    two.push((await runWith(tag, 2)).wall);
  }
  log(`## parallel runs: bootchain run --tag ${tag} (${runs} run${runs > 1 ? 's' : ''} each)`);
  log(table(['jobs', 'wall', 'speed-up'], [['--jobs 1 — baseline', ms(median(one)), '1.00×'], ['--jobs 2', ms(median(two)), ratio(median(one), median(two))]]));
  log('');
}
