import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp dirs are named `bootchain-<kind>-<pid>-XXXXXX`: when a harness is killed (SIGKILL: no cleanup can
 * run), the next run finds the dirs whose process is gone, removes them and says so. Its processes (QEMU,
 * the network holder) already died with it (parent-death signal). A loop build killed with its boot
 * partition mounted leaves the mount (and its auto-clearing loop device) on `bootchain-mnt-<pid>-*`: the sweep
 * unmounts it first (the kernel then frees the loop device) and never deletes through a live mount.
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

/** Entries of `dir` whose name names a bootchain process (`ownerOf`) that no longer runs. */
function orphans(dir: string, ownerOf: (name: string) => number | null): Array<{ path: string; pid: number }> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const pid = ownerOf(e);
    return pid === null || pid === process.pid || alive(pid) ? [] : [{ path: join(dir, e), pid }];
  });
}

/** Removes temp dirs of bootchain processes that no longer run; returns what was removed. */
export function sweepLeftovers(dir = tmpdir()): string[] {
  const removed: string[] = [];
  for (const { path: p, pid } of orphans(dir, leftoverOwner)) {
    try {
      if (!statSync(p).isDirectory()) continue;
      const mounts = mountsUnder(p);
      for (const m of mounts) unmount(m);
      if (mountsUnder(p).length) continue; // still mounted (not ours to force): leave it, never delete through it
      rmSync(p, { recursive: true, force: true });
      removed.push(`${p} (pid ${pid}${mounts.length ? `; unmounted ${mounts.length} mount${mounts.length > 1 ? 's' : ''}, its loop device released` : ''})`);
    } catch {
      // not ours to remove (another user's): leave it
    }
  }
  return removed;
}

/**
 * Temp outputs a killed build or decompression left in an output or cache folder (`.NAME.tmp-<pid>-*`,
 * `NAME.tmp-<pid>`): removed when their process is gone; returns what was removed.
 */
export function sweepTempFiles(dir: string): string[] {
  const removed: string[] = [];
  const tempOwner = (name: string): number | null => {
    const m = /\.tmp-(\d+)(?:-|$)/.exec(name);
    return m ? Number(m[1]) : null;
  };
  for (const { path: p, pid } of orphans(dir, tempOwner)) {
    try {
      if (!statSync(p).isFile()) continue;
      rmSync(p, { force: true });
      removed.push(`${p} (pid ${pid})`);
    } catch {
      // not ours to remove: leave it
    }
  }
  return removed;
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo; octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = text.split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m).map(unescape);
  return points.filter((m) => m === dir || m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

function unmount(point: string): void {
  for (const args of [[point], ['-l', point]]) {
    try {
      execFileSync('umount', args, { stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
      return;
    } catch {
      // busy or not permitted: try lazily, then leave it
    }
  }
}
