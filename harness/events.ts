/**
 * Everything a boot produces, in one stream, in arrival order. Times are milliseconds since the
 * machine was started (wall clock); `guestMs`, where known, is the guest's own clock.
 * Data flows one way: machine/stub → events → stage tracker → verdict → report.
 */
export interface ConsoleLineEvent {
  kind: 'console';
  atMs: number;
  guestMs?: number;
  /** One ANSI-free console line, CR/wrap/duplication repaired. */
  text: string;
  /** True when the line is not finished yet (the guest stopped printing mid-line, e.g. "boot: "). */
  partial?: boolean;
  /**
   * When the line's first visible character was printed (ms since start; QEMU's trace time). The line
   * event itself comes later, at its line break: this is the time that orders it among disk reads.
   */
  textAtMs?: number;
}

export interface DiskReadEvent {
  kind: 'disk-read';
  atMs: number;
  guestMs?: number;
  offset: number;
  bytes: number;
}

export interface LedgerEntry {
  atMs: number;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Parsed query (last value wins). */
  query: Record<string, string>;
  /** Raw URL as requested (path + query). */
  url: string;
  headers: Record<string, string>;
  status: number;
  /** Bytes of body sent. */
  bytes: number;
  /** Which route answered, or null for a 404 from no route. */
  route: string | null;
  /** The host the request was made to (the virtual host's name, or the Host header). */
  host?: string;
  /** The response was cut short on purpose (a truncate/stall/trickle fault) or by the client. */
  cut?: boolean;
  /** What the body was: an iPXE script, an HTML page, other text, binary (a kernel, an NBP), or empty. */
  bodyKind?: 'ipxe-script' | 'html' | 'text' | 'bzimage' | 'binary' | 'empty';
  /** The stub refused the request (a path reaching outside its folder or routes): why. */
  refused?: string;
}

export interface RequestEvent {
  kind: 'request';
  atMs: number;
  entry: LedgerEntry;
}

/** The machine ended: exit of QEMU, or a problem not caused by the guest. */
export interface MachineExitEvent {
  kind: 'exit';
  atMs: number;
  code: number | null;
  signal: string | null;
  /** Set when QEMU itself failed (KVM internal error, bad option, missing firmware…). */
  infraError?: string;
}

/** A tick with no new evidence; lets the tracker fire timeouts without its own timers. */
export interface TickEvent {
  kind: 'tick';
  atMs: number;
  guestMs?: number;
}

/** Where the guest's CPU was when sampled (taken while the boot shows no progress). */
export interface CpuSampleEvent {
  kind: 'cpu';
  atMs: number;
  guestMs?: number;
  halted: boolean;
  interrupts: boolean;
  pc: number;
}

export type BootEvent = ConsoleLineEvent | DiskReadEvent | RequestEvent | MachineExitEvent | TickEvent | CpuSampleEvent;
