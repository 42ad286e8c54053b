/** Small helpers for benchmark figures: medians and ratios against a baseline measured in the same run. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function ratio(x: number, base: number): string {
  return base > 0 ? `${(x / base).toFixed(2)}×` : 'n/a';
}

export function ms(x: number): string {
  return `${Math.round(x)} ms`;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** Fixed-width text table. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** CPU accounts the CLI appended to BOOTCHAIN_CPU_FILE (one JSON line per process), summed. */
export interface CpuAccount {
  /** The harness: the CLI process and every helper it ran (namespace holder, debugfs, …), QEMU excluded. */
  harnessMs: number;
  qemuMs: number;
  /**
   * The harness while QEMUs ran: the CLI process's CPU while at least one QEMU was running, plus the
   * namespace holders' whole CPU (they live through their boot). Start-up, image checks and reports outside
   * those windows are not in it; they are in harnessMs.
   */
  duringQemuMs: number;
}

export function sumCpu(text: string): CpuAccount {
  let harnessMs = 0;
  let qemuMs = 0;
  let duringQemuMs = 0;
  for (const l of text.split('\n').filter(Boolean)) {
    const a = JSON.parse(l) as { selfMs: number; childrenMs: number; qemuMs: number; duringQemuMs?: number; holderMs?: number };
    harnessMs += a.selfMs + a.childrenMs - a.qemuMs;
    qemuMs += a.qemuMs;
    duringQemuMs += (a.duringQemuMs ?? 0) + (a.holderMs ?? 0);
  }
  return { harnessMs, qemuMs, duringQemuMs };
}

/** The harness's share of all CPU the run used, as a percentage. */
export function harnessShare(a: CpuAccount): string {
  return share(a.harnessMs, a.qemuMs);
}

/** `part` as a percentage of `part + rest`. */
function share(part: number, rest: number): string {
  return part + rest > 0 ? `${((100 * part) / (part + rest)).toFixed(1)}%` : 'n/a';
}

/** The harness's share of the CPU used while QEMUs ran (the "while QEMUs run"), as a percentage. */
export function duringQemuShare(a: CpuAccount): string {
  return share(a.duringQemuMs, a.qemuMs);
}
