/** Where the guest's CPU is and whether it is halted, from QEMU's `info registers` (HMP over QMP). */
export interface CpuState {
  /** HLT=1: the CPU waits for an interrupt. */
  halted: boolean;
  /** IF: interrupts enabled (a halted CPU with interrupts off never wakes). */
  interrupts: boolean;
  /** Linear address of the next instruction (CS base + EIP/RIP). */
  pc: number;
}

/** Parses the first CPU of `info registers`; null when the text is not what QEMU prints. */
export function parseCpuState(text: string): CpuState | null {
  const ip = /\b[RE]IP=([0-9a-f]+)/i.exec(text);
  const efl = /\bEFL=([0-9a-f]+)/i.exec(text);
  const hlt = /\bHLT=(\d)/.exec(text);
  if (!ip?.[1] || !efl?.[1] || !hlt?.[1]) return null;
  const cs = /^CS =[0-9a-f]+ ([0-9a-f]+)/im.exec(text);
  const pc = Number.parseInt(ip[1], 16) + (cs?.[1] ? Number.parseInt(cs[1], 16) : 0);
  return { halted: hlt[1] === '1', interrupts: (Number.parseInt(efl[1], 16) & 0x200) !== 0, pc };
}
