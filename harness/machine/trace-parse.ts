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

/** Converts a parsed read to a DiskReadEvent relative to the machine's start (epoch ms). */
export function toDiskReadEvent(r: TraceRead, startedAt: number): DiskReadEvent {
  return { kind: 'disk-read', atMs: Math.round((r.epochMs - startedAt) * 1000) / 1000, offset: r.offset, bytes: r.bytes };
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
