import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp dirs are named `bootchain-<kind>-<pid>-XXXXXX`: when a harness is killed (SIGKILL: no cleanup can
 * run), the next run finds the dirs whose process is gone, removes them and says so. Its processes (QEMU,
 * the network holder) already died with it (parent-death signal); mounts are the builder's, in its own dirs.
 */
export const tempPrefix = (kind: string): string => `bootchain-${kind}-${process.pid}-`;

const LEFTOVER_RE = /^bootchain-[a-z]+(?:-[a-z]+)*-(\d+)-/;

/** The pid of the bootchain process that made a temp dir of this name, or null when the name is not one of ours. */
export function leftoverOwner(name: string): number | null {
  const m = LEFTOVER_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp dirs of bootchain processes that no longer run; returns what was removed. */
export function sweepLeftovers(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const e of entries) {
    const pid = leftoverOwner(e);
    if (pid === null) continue;
    if (pid === process.pid || alive(pid)) continue;
    const p = join(dir, e);
    try {
      if (!statSync(p).isDirectory()) continue;
      rmSync(p, { recursive: true, force: true });
      removed.push(`${p} (pid ${pid})`);
    } catch {
      // not ours to remove (another user's): leave it
    }
  }
  return removed;
}
