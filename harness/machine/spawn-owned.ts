import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export interface SpawnOwnedOptions {
  /** Argv prefix, e.g. a network-namespace entry command; the child must exec argv in place. */
  wrapper?: string[];
  env?: Record<string, string>;
  /** Add the harness's own environment to `env` (default true). */
  extendEnv?: boolean;
  cwd?: string;
}

export type OwnedProcess = ReturnType<typeof spawnOwned>;

const SETPRIV = '/usr/bin/setpriv';
const hasSetpriv = fs.existsSync(SETPRIV);

/**
 * Starts a child in its own process group (so close() can kill the whole group) and, where
 * util-linux setpriv exists, with a parent-death SIGKILL so even a SIGKILLed harness leaks no QEMU.
 * The one place that could later enter a network namespace first (via `wrapper`).
 */
export function spawnOwned(argv: string[], opts: SpawnOwnedOptions = {}) {
  const pdeath = hasSetpriv ? [SETPRIV, '--pdeathsig', 'KILL', '--'] : [];
  const full = [...pdeath, ...(opts.wrapper ?? []), ...argv];
  const [file, ...args] = full as [string, ...string[]];
  return execa(file, args, {
    detached: true,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: false,
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? {},
    extendEnv: opts.extendEnv ?? true,
  });
}

/** Signals a whole process group; false when it is already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of an executable (PATH lookup for bare names), or null. */
export function findExecutable(bin: string): string | null {
  const candidates = bin.includes('/') ? [bin] : (process.env['PATH'] ?? '').split(':').filter(Boolean).map((d) => path.join(d, bin));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return null;
}
