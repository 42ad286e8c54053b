import type { DiskReadEvent } from '../events.ts';

/** One `blk_co_preadv` trace line, with QEMU's wall-clock timestamp (epoch ms). */
export interface TraceRead {
  pid: number;
  epochMs: number;
  offset: number;
  bytes: number;
  flags: number;
}

// `-msg timestamp=on` form: PID@SEC.USEC:blk_co_preadv blk 0x… bs 0x… offset N bytes M flags 0x…
const TRACE_RE =
  /^(\d+)@(\d+)\.(\d{1,6}):blk_co_preadv blk 0x[0-9a-f]+ bs 0x[0-9a-f]+ offset (\d+) bytes (\d+)(?: flags 0x([0-9a-f]+))?/;

/** Parses one trace line; null for anything else (QEMU messages, other trace points). */
export function parseTraceLine(line: string): TraceRead | null {
  const m = TRACE_RE.exec(line.trim());
  if (!m) return null;
  const [, pid, sec, usec, offset, bytes, flags] = m as unknown as [string, string, string, string, string, string, string | undefined];
  return {
    pid: Number(pid),
    epochMs: Number(sec) * 1000 + Number(usec.padEnd(6, '0')) / 1000,
    offset: Number(offset),
    bytes: Number(bytes),
    flags: flags === undefined ? 0 : parseInt(flags, 16),
  };
}

/** A QEMU trace timestamp (epoch ms) as ms since the machine's start, to the microsecond. */
export function sinceStart(epochMs: number, startedAt: number): number {
  return Math.round((epochMs - startedAt) * 1000) / 1000;
}

/** Converts a parsed read to a DiskReadEvent relative to the machine's start (epoch ms). */
export function toDiskReadEvent(r: TraceRead, startedAt: number): DiskReadEvent {
  return { kind: 'disk-read', atMs: sinceStart(r.epochMs, startedAt), offset: r.offset, bytes: r.bytes };
}

/** Splits a byte stream into lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  #tail = '';
  push(chunk: string): string[] {
    const parts = (this.#tail + chunk).split('\n');
    this.#tail = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  flush(): string[] {
    const t = this.#tail;
    this.#tail = '';
    return t === '' ? [] : [t];
  }
}

/** One `serial_write` trace line: a guest write to a 16550 UART register, with QEMU's timestamp. */
export interface SerialWrite {
  epochMs: number;
  /** Register offset: 0 = THR (data, or divisor low byte while LCR.DLAB is set), 3 = LCR. */
  addr: number;
  val: number;
}

const SERIAL_RE = /^(\d+)@(\d+)\.(\d{1,6}):serial_write write addr 0x([0-9a-f]+) val 0x([0-9a-f]+)/;

/** Parses a `serial_write` trace line; null for anything else. */
export function parseSerialWriteLine(line: string): SerialWrite | null {
  const m = SERIAL_RE.exec(line);
  if (!m) return null;
  const [, , sec, usec, addr, val] = m as unknown as [string, string, string, string, string, string];
  return { epochMs: Number(sec) * 1000 + Number(usec.padEnd(6, '0')) / 1000, addr: parseInt(addr, 16), val: parseInt(val, 16) };
}

/**
 * Turns UART register writes into the bytes the guest sent, each with the time QEMU saw it. Writes to
 * offset 0 while LCR.DLAB (bit 7 of offset 3) is set program the baud divisor and are not data.
 */
export class UartDecoder {
  #dlab = false;
  /** The data byte of this write, or null when it is a register (LCR, divisor, …) write. */
  push(w: SerialWrite): number | null {
    if (w.addr === 3) this.#dlab = (w.val & 0x80) !== 0;
    if (w.addr !== 0 || this.#dlab) return null;
    return w.val;
  }
}
