import type { LedgerEntry } from '../events.ts';
import type { ReadRole } from './disk-regions.ts';
import type { FailureMatch } from './failure-catalog.ts';

/** One piece of evidence in arrival order, as the tracker keeps it. */
export type Fact =
  | {
      kind: 'line';
      atMs: number;
      /** Timeline position: when its text began to be printed (before the line break that completed it). */
      t: number;
      /** When it ended (its line break, or the flush of an unfinished line): a line spans [t, tEnd]. */
      tEnd: number;
      guestMs: number | null;
      /** Logical line: wrapped pieces joined. */
      text: string;
      partial: boolean;
      failure: FailureMatch | null;
    }
  | { kind: 'read'; atMs: number; t: number; tEnd: number; guestMs: number | null; offset: number; bytes: number; roles: { role: ReadRole; name: string }[] }
  | { kind: 'request'; atMs: number; t: number; tEnd: number; guestMs: number | null; entry: LedgerEntry };

export type LineFact = Extract<Fact, { kind: 'line' }>;
export type ReadFact = Extract<Fact, { kind: 'read' }>;
export type RequestFact = Extract<Fact, { kind: 'request' }>;

function clip(s: string, n = 72): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Evidence text for a fact, e.g. "disk read @1048576 (vbr) at 312 ms". */
export function describeFact(f: Fact, role?: ReadRole): string {
  switch (f.kind) {
    case 'line':
      return `console${f.partial ? ' (unfinished line)' : ''}: ${clip(f.text.trim())} at ${Math.round(f.t)} ms`;
    case 'read': {
      const names = [...new Set(f.roles.filter((r) => !role || r.role === role).map((r) => r.name))];
      return `disk read @${f.offset} +${f.bytes} (${names.join(', ') || 'unmapped'}) at ${Math.round(f.atMs)} ms`;
    }
    case 'request':
      return `http ${f.entry.status} ${f.entry.method} ${clip(f.entry.url, 60)} at ${f.atMs} ms`;
  }
}

/** Index of the first fact at or after `from` that satisfies `pred`, or -1. */
export function findFact<T extends Fact>(facts: readonly Fact[], from: number, pred: (f: Fact) => f is T): number;
export function findFact(facts: readonly Fact[], from: number, pred: (f: Fact) => boolean): number;
export function findFact(facts: readonly Fact[], from: number, pred: (f: Fact) => boolean): number {
  for (let i = Math.max(0, from); i < facts.length; i++) {
    const f = facts[i];
    if (f && pred(f)) return i;
  }
  return -1;
}

export const isRead = (role: ReadRole) => (f: Fact): boolean => f.kind === 'read' && f.roles.some((r) => r.role === role);
export const isLine = (re: RegExp, opts: { complete?: boolean } = {}) => (f: Fact): boolean =>
  f.kind === 'line' && (!opts.complete || !f.partial) && re.test(f.text);
