import { readFileSync } from 'node:fs';

/**
 * Where the CPU went, for benches (BOOTCHAIN_CPU_FILE): QEMU's own CPU, the harness process's CPU while at
 * least one QEMU runs (the window in which the harness competes with the guests), and the CPU of the private
 * network's holders (counted whole: they live through their boot). Module state, one per process.
 */
let live = 0;
let windowStart: NodeJS.CpuUsage | null = null;
let duringQemuUs = 0;
let qemuMs = 0;
let holderMs = 0;

/** A QEMU process started (call once per QEMU). */
export function qemuStarted(): void {
  if (live++ === 0) windowStart = process.cpuUsage();
}

/** A QEMU process ended (call once per qemuStarted). */
export function qemuEnded(): void {
  if (live === 0) return;
  if (--live === 0 && windowStart) {
    const d = process.cpuUsage(windowStart);
    duringQemuUs += d.user + d.system;
    windowStart = null;
  }
}

/** Adds the CPU QEMU used, as read from /proc before it was stopped. */
export function addQemuCpu(ms: number): void {
  qemuMs += ms;
}

/** Adds a helper's CPU (its own and its reaped children's), read from /proc before it is stopped. */
export function addHolderCpu(ms: number): void {
  holderMs += ms;
}

export interface CpuSnapshot {
  qemuMs: number;
  /** This process's CPU (all threads) while at least one QEMU ran, up to now. */
  duringQemuMs: number;
  holderMs: number;
}

export function cpuSnapshot(): CpuSnapshot {
  const open = windowStart ? process.cpuUsage(windowStart) : { user: 0, system: 0 };
  return { qemuMs, duringQemuMs: Math.round((duringQemuUs + open.user + open.system) / 1000), holderMs };
}

const CLK_TCK = 100; // Linux's USER_HZ on every architecture QEMU's x86_64 system emulator runs on

/** utime + stime (`selfMs`) and cutime + cstime (`childrenMs`, its reaped children) of a process from /proc/PID/stat, or null when it is gone. */
export function procTimesMs(pid: number | 'self'): { selfMs: number; childrenMs: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14,
    // stime 15, cutime 16, cstime 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const ms = (ticks: number): number => (ticks * 1000) / CLK_TCK;
    return { selfMs: ms(f[11]! + f[12]!), childrenMs: ms(f[13]! + f[14]!) };
  } catch {
    return null;
  }
}

/**
 * CPU of a process in ms, or null when it is gone: its own, plus (withChildren) the children it reaped (a
 * holder's setup shell ran ip and mount before it exec'd).
 */
export function procCpuMs(pid: number, withChildren = false): number | null {
  const t = procTimesMs(pid);
  return t === null ? null : t.selfMs + (withChildren ? t.childrenMs : 0);
}
