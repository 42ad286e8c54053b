// The CPU accounting behind the bench's harness shares: the window "while at least one QEMU runs" opens at the
// first QEMU and closes after the last, overlapping QEMUs count once, and the per-process lines sum as the
// bench reads them.
import t from 'tap';
import { addHolderCpu, addQemuCpu, cpuSnapshot, procCpuMs, qemuEnded, qemuStarted } from '../../harness/machine/cpu-account.ts';
import { duringQemuShare, harnessShare, sumCpu } from '../../harness/bench/stats.ts';

/** Burns `ms` of this process's CPU (measured as CPU, not wall time: a loaded host only makes it slower). */
function burn(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    for (let i = 0; i < 10_000; i++) Math.sqrt(Math.random());
    const d = process.cpuUsage(start);
    if (d.user + d.system >= ms * 1000) return;
  }
}

t.test('the window counts this process only while a QEMU runs, overlapping QEMUs once', async (t) => {
  burn(60); // outside any window: not counted
  t.equal(cpuSnapshot().duringQemuMs, 0, 'nothing before the first QEMU');
  qemuStarted();
  qemuStarted(); // a second, overlapping boot (--jobs 2)
  burn(80);
  qemuEnded();
  burn(80); // one still runs
  const open = cpuSnapshot().duringQemuMs;
  t.ok(open >= 160, `an open window is counted up to now (${open} ms)`);
  qemuEnded();
  const closed = cpuSnapshot().duringQemuMs;
  burn(60); // after the last QEMU: not counted
  t.equal(cpuSnapshot().duringQemuMs, closed, 'nothing after the last QEMU ended');
  t.ok(closed >= 160 && closed < 280, `the 160 ms burnt inside the window (${closed} ms), not the 120 ms outside`);
  qemuEnded(); // an extra end never goes negative or reopens
  t.equal(cpuSnapshot().duringQemuMs, closed);
  addQemuCpu(1500);
  addHolderCpu(25);
  t.match(cpuSnapshot(), { qemuMs: 1500, holderMs: 25 });
});

t.test('procCpuMs reads a live process and says null for a gone one', async (t) => {
  const self = procCpuMs(process.pid);
  t.ok(self !== null && self > 0, `this process has used CPU (${self} ms)`);
  t.equal(procCpuMs(2 ** 22 + 12345), null);
});

t.test('sumCpu: whole-run and while-QEMU shares from the lines the CLI appends', async (t) => {
  const lines = [
    { selfMs: 2000, childrenMs: 9500, qemuMs: 9000, duringQemuMs: 700, holderMs: 100 },
    { selfMs: 1000, childrenMs: 9000, qemuMs: 9000, duringQemuMs: 300, holderMs: 0 },
    { selfMs: 500, childrenMs: 0, qemuMs: 0 }, // an older line without the window fields
  ].map((l) => JSON.stringify(l)).join('\n');
  const a = sumCpu(lines + '\n');
  t.same(a, { harnessMs: 4000, qemuMs: 18000, duringQemuMs: 1100 });
  t.equal(harnessShare(a), '18.2%');
  t.equal(duringQemuShare(a), '5.8%');
  t.equal(duringQemuShare({ harnessMs: 0, qemuMs: 0, duringQemuMs: 0 }), 'n/a');
});
