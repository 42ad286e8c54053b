import t from 'tap';
import { parseCpuState } from '../../harness/machine/cpu-state.ts';
import { buildCpio } from '../../harness/image/payload.ts';
import { StageTracker, formatStageTable } from '../../harness/stages/index.ts';
import type { BootEvent } from '../../harness/events.ts';

t.test("QEMU's info registers: halted, interrupts, linear PC", async (t) => {
  const real = 'CPU#0\r\nEAX=00000000 EBX=00000000\r\nEIP=0000fff0 EFL=00000202 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1\r\nES =0000 00000000 0000ffff 00009300\r\nCS =f000 ffff0000 0000ffff 00009b00\r\n';
  t.same(parseCpuState(real), { halted: true, interrupts: true, pc: 0xffff0000 + 0xfff0 });
  t.same(parseCpuState('RIP=ffffffff81000000 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\nEFL=00000046\nCS =0010 0000000000000000 ffffffff 00a09b00'), { halted: false, interrupts: false, pc: 0xffffffff81000000 });
  t.equal(parseCpuState('no registers here'), null);
});

/** A tracker waiting at `stage` with a silent guest, fed CPU samples and guest time. */
function silentAt(stage: 'mbr' | 'ipxe', pcs: number[], halted = false): ReturnType<StageTracker['result']> & { endedAt: number } {
  const tr = new StageTracker({ diskMap: null, finalStage: 'chain', timeouts: { overallMs: 600_000, stageMs: { mbr: 3000, ipxe: 3000 } } });
  const ev = (e: BootEvent) => tr.consume(e);
  const lines = ['SeaBIOS (version 1)', 'Booting from Hard Disk...', ...(stage === 'ipxe' ? ['SYSLINUX 6.04 EDD 20210613 Copyright (C) 1994-2015 H. Peter Anvin et al', 'booting memtest from SYSLINUX', 'Loading memtest.bin... o'] : [])];
  let at = 0;
  for (const text of lines) ev({ kind: 'console', atMs: (at += 10), guestMs: at, text });
  for (let i = 0; i < 200 && !tr.done; i++) {
    at += 100;
    ev({ kind: 'cpu', atMs: at, guestMs: at * 10, halted, interrupts: true, pc: pcs[i % pcs.length]! });
    ev({ kind: 'tick', atMs: at, guestMs: at * 10 });
  }
  return { ...tr.result(), endedAt: at };
}

t.test('busy or stuck: a CPU spread over lots of code gets more time than one looping in place', async (t) => {
  const loop = silentAt('ipxe', [0x7c50, 0x7c52, 0x7c54]);
  t.match(loop.failure, { stage: 'ipxe', code: 'STAGE_TIMEOUT', message: /looping within 4 bytes \(stuck\)/ }, formatStageTable(loop.stages, loop.failure));
  const busy = silentAt('ipxe', [0x100000, 0x180000, 0x140000, 0x1c0000]);
  t.match(busy.failure, { stage: 'ipxe', code: 'STAGE_TIMEOUT', message: /busy across \d+ KiB of code/ }, formatStageTable(busy.stages, busy.failure));
  t.ok(busy.endedAt > loop.endedAt * 4, `busy ended later (${busy.endedAt} ms) than the loop (${loop.endedAt} ms): it was given more guest time`);
  // The disk-driven stages get no extension: code running through zeroed memory spreads widely too.
  const wild = silentAt('mbr', [0x100000, 0x180000, 0x140000, 0x1c0000]);
  t.match(wild.failure, { stage: 'mbr', message: /running wild .*silence is not work/ }, formatStageTable(wild.stages, wild.failure));
  t.ok(wild.endedAt < busy.endedAt / 4, `no extension at mbr (${wild.endedAt} ms)`);
});

t.test('a guest clock standing still is a halt only when a CPU sample shows it halted with interrupts off', async (t) => {
  const run = (halted: boolean, interrupts = false, sampled = true) => {
    const tr = new StageTracker({ diskMap: null, finalStage: 'chain', timeouts: { overallMs: 600_000 } });
    tr.consume({ kind: 'console', atMs: 10, guestMs: 10, text: 'SeaBIOS (version 1)' });
    for (let at = 100; at <= 3000 && !tr.done; at += 100) {
      if (sampled) tr.consume({ kind: 'cpu', atMs: at, guestMs: 10, halted, interrupts, pc: 0x7c00 });
      tr.consume({ kind: 'tick', atMs: at, guestMs: 10 });
    }
    return tr;
  };
  t.ok(run(true).done, 'halted with interrupts off and the clock still: ended (frozen)');
  t.match(run(true).result().failure, { message: /CPU halted with interrupts off\)/ });
  t.notOk(run(false).done, 'running with the clock still (QEMU slow): not yet a hang');
  t.notOk(run(true, true).done, 'halted with interrupts on (a timer will wake it once QEMU runs): not yet a hang');
  t.notOk(run(true, false, false).done, 'no CPU sample at all (QEMU starved): not yet a hang, the wall-time backstop decides');
});

t.test('the payload initramfs is a newc cpio the kernel can unpack: /init, /dev/console, trailer', async (t) => {
  const cpio = buildCpio([{ name: 'dev', mode: 0o040755 }, { name: 'dev/console', mode: 0o020600, rdevMajor: 5, rdevMinor: 1 }, { name: 'init', mode: 0o100755, data: Buffer.from('#!/bin/sh\n') }]);
  t.equal(cpio.length % 512, 0);
  const text = cpio.toString('latin1');
  t.equal(text.slice(0, 6), '070701');
  t.match(text, /dev\/console\0/);
  t.match(text, /init\0/);
  t.match(text, /TRAILER!!!\0/);
  // The console node: mode 020600, rdev 5:1 (fields 2 and 10/11 of its header).
  const at = text.indexOf('dev/console') - 110;
  t.equal(text.slice(at + 14, at + 22), '00002180');
  t.equal(text.slice(at + 78, at + 86), '00000005');
  t.equal(text.slice(at + 86, at + 94), '00000001');
});
