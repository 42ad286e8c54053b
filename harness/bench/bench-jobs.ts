import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { duringQemuShare, harnessShare, median, ms, ratio, sumCpu, table, type CpuAccount } from './stats.ts';

/** `bootchain run [--tag TAG] --jobs N` as a whole process: wall time, and where the CPU went (harness vs QEMU). */
async function runWith(tag: string | null, jobs: number, dir: string): Promise<{ wall: number; cpu: CpuAccount }> {
  const cpuFile = join(dir, `cpu-${jobs}-${Date.now()}.jsonl`);
  const t0 = performance.now();
  const r = await execa('node', ['bin/bootchain.js', 'run', ...(tag ? ['--tag', tag] : []), '--jobs', String(jobs), '--json'], { reject: false, env: { BOOTCHAIN_CPU_FILE: cpuFile } });
  const wall = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`bench: run ${tag ? `--tag ${tag} ` : ''}--jobs ${jobs} failed: ${r.stderr.slice(-400)}`);
  return { wall, cpu: sumCpu(await readFile(cpuFile, 'utf8')) };
}

/**
 * The scenario suite's parallel speed-up on this machine: --jobs 1 vs --jobs 2, and the harness's CPU share.
 * `tag` null: the whole suite (every cell), else the cells with that tag. The --jobs 1 run goes first: it
 * records the cells' durations, by which the --jobs 2 run starts the longest first (as any repeated run does).
 */
export async function benchJobs(log: (s: string) => void, runs = 1, tag: string | null = null): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bootchain-bench-jobs-'));
  try {
    const one: Array<{ wall: number; cpu: CpuAccount }> = [];
    const two: Array<{ wall: number; cpu: CpuAccount }> = [];
    for (let i = 0; i < runs; i++) {
      one.push(await runWith(tag, 1, dir));
      two.push(await runWith(tag, 2, dir));
    }
    const w1 = median(one.map((x) => x.wall));
    const w2 = median(two.map((x) => x.wall));
    const total = (xs: typeof one): CpuAccount => ({ harnessMs: xs.reduce((a, x) => a + x.cpu.harnessMs, 0), qemuMs: xs.reduce((a, x) => a + x.cpu.qemuMs, 0), duringQemuMs: xs.reduce((a, x) => a + x.cpu.duringQemuMs, 0) });
    log(`## parallel runs: bootchain run ${tag ? `--tag ${tag}` : '(the whole suite)'} (${runs} run${runs > 1 ? 's' : ''} each)`);
    log(table(['jobs', 'wall', 'speed-up', 'harness CPU share, whole run', 'while QEMUs run'], [
      ['--jobs 1 — baseline', ms(w1), '1.00×', harnessShare(total(one)), duringQemuShare(total(one))],
      ['--jobs 2', ms(w2), ratio(w1, w2), harnessShare(total(two)), duringQemuShare(total(two))],
    ]));
    log('(harness CPU share, whole run: the CLI and its helpers against all CPU the run used, QEMU included, start-up and reports too;');
    log(' while QEMUs run: the CLI\'s CPU while at least one QEMU ran, plus the namespace holders\' whole CPU, against that plus QEMU\'s; read from /proc)');
    log('');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
