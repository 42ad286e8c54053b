import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { buildQemuArgv, resolveMachineOptions } from '../machine/index.ts';
import type { BootReport } from '../report/json-report.ts';
import { duringQemuShare, harnessShare, median, ms, ratio, sumCpu, table } from './stats.ts';

const MARKER = 'BOOTCHAIN-BENCH-MARKER';

/** Plain QEMU with the harness's flags until the chained script's marker shows on the serial console. */
async function plainQemu(image: string, realtime: boolean, dir: string): Promise<number> {
  const server = createServer((_req, res) => res.end(`#!ipxe\necho ${MARKER}\n`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const opts = resolveMachineOptions({ image, bootfileUrl: `http://10.0.2.2:${port}/boot.ipxe`, smbiosSerial: 'BENCH', guestClock: false, ...(realtime ? { icountShift: null } : {}) });
    const argv = buildQemuArgv(opts, { dir, qmpSocket: join(dir, `qmp-${Date.now()}.sock`) });
    const t0 = performance.now();
    const child = execa(argv[0]!, argv.slice(1), { reject: false, buffer: false, env: { TMPDIR: dir } });
    const found = await new Promise<number>((res, rej) => {
      let text = '';
      child.stdout!.on('data', (b: Buffer) => {
        text += b.toString('latin1');
        if (text.includes(MARKER)) res(performance.now() - t0);
      });
      void child.then(() => rej(new Error(`plain QEMU exited before the marker; serial tail: ${text.slice(-300)}`)));
    });
    child.kill('SIGKILL');
    await child;
    return found;
  } finally {
    server.close();
  }
}

/** `bootchain boot IMAGE --json` as a user runs it: a whole CLI process, start-up included. */
async function harnessBoot(image: string, realtime: boolean, cpuFile: string): Promise<{ ms: number; report: BootReport }> {
  const t0 = performance.now();
  const r = await execa('node', ['bin/bootchain.js', 'boot', image, '--json', ...(realtime ? ['--realtime'] : [])], { reject: false, env: { BOOTCHAIN_CPU_FILE: cpuFile } });
  const took = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`bootchain boot failed (exit ${r.exitCode}): ${r.stderr.slice(-500)}`);
  return { ms: took, report: JSON.parse(r.stdout) as BootReport };
}

/** (a) plain QEMU vs (b) bootchain boot, same image and flags, in both clock modes; per-stage times. */
export async function benchBoot(log: (s: string) => void, runs = 3): Promise<void> {
  const image = resolve('dist/hypersolid-cloud.img');
  const dir = await mkdtemp(join(tmpdir(), 'bootchain-bench-boot-'));
  try {
    for (const realtime of [false, true]) {
      const plain: number[] = [];
      const harness: number[] = [];
      const reports: BootReport[] = [];
      for (let i = 0; i < runs; i++) {
        plain.push(await plainQemu(image, realtime, dir));
        const h = await harnessBoot(image, realtime, join(dir, `cpu-${realtime}.jsonl`));
        harness.push(h.ms);
        reports.push(h.report);
      }
      const p = median(plain);
      const h = median(harness);
      log(`## boot to the chained script — ${realtime ? 'real time (--realtime)' : 'time warp (default)'}, ${runs} runs each`);
      log(
        table(
          ['what', 'median', 'vs plain QEMU'],
          [
            ['(a) plain qemu-system-x86_64, same flags, until the marker — baseline', ms(p), '1.00×'],
            ['(b) bootchain boot --json (whole CLI process, start-up included)', ms(h), ratio(h, p)],
          ],
        ),
      );
      const cpu = sumCpu(await readFile(join(dir, `cpu-${realtime}.jsonl`), 'utf8'));
      log(`CPU over the ${runs} boots: harness ${ms(cpu.harnessMs)} (the CLI and its helpers), QEMU ${ms(cpu.qemuMs)} → harness share ${harnessShare(cpu)} (while QEMU runs: ${duringQemuShare(cpu)})`);
      const rep = reports[harness.indexOf([...harness].sort((a, b) => a - b)[Math.floor(runs / 2)]!)] ?? reports[0]!;
      log('');
      // The guest clock's pace against wall time (moved here from the tests: a speed figure, not a pass/fail check).
      const chain = rep.stages.find((s) => s.id === 'chain');
      if (chain?.atMs && chain.guestMs) log(`guest clock at the chain: ${Math.round(chain.guestMs)} ms guest vs ${Math.round(chain.atMs)} ms wall (${(chain.guestMs / chain.atMs).toFixed(2)}×${realtime ? '; real time should be ~1.00×' : '; warp runs the guest clock fast'})`);
      log(
        table(
          ['stage', 'wall ms', 'guest ms'],
          rep.stages.map((s) => [s.id, s.atMs === null ? '-' : String(Math.round(s.atMs)), s.guestMs === null ? '-' : String(Math.round(s.guestMs))]),
        ),
      );
      log('');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
