// One build of an output at a time across processes: CI shards or parallel `bootchain run`s that start on a
// fresh machine would otherwise all build the same image and rename it over each other while another process
// boots it. The lock is a directory (mkdir is atomic) under the system temp dir holding the owner's pid; a lock
// whose owner is dead is taken over.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { registerExitKill } from '../reaper.ts';
import { alive } from '../leftovers.ts';

const POLL_MS = 50;
/** A lock whose owner wrote no pid for this long (it died between mkdir and writing it) is stale. */
const NO_PID_STALE_MS = 5000;

/** The lock directory for one output file (absolute path), e.g. dist/hypersolid-cloud.img. */
export function lockDirFor(output: string, root = join(tmpdir(), 'bootchain.build-locks')): string {
  return join(root, createHash('sha256').update(resolve(output)).digest('hex').slice(0, 24));
}

/** Runs `fn` holding the lock for `output`; waits (polling) while a live process holds it. */
export async function withOutputLock<T>(output: string, fn: () => Promise<T>, o: { root?: string; signal?: AbortSignal } = {}): Promise<T> {
  const dir = lockDirFor(output, o.root);
  mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
  let waitingSince: number | null = null;
  for (;;) {
    o.signal?.throwIfAborted();
    try {
      mkdirSync(dir, { mode: 0o700 });
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return fn(); // no lock possible here: build unlocked, as before
      let pid: number | null = null;
      try {
        pid = Number(readFileSync(join(dir, 'pid'), 'utf8')) || null;
      } catch {}
      waitingSince ??= Date.now();
      const stale = pid !== null ? !alive(pid) : Date.now() - waitingSince > NO_PID_STALE_MS;
      if (stale) {
        rmSync(dir, { recursive: true, force: true });
        waitingSince = null;
        continue;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  // Released on every way out: the build's end, an error, or the process exiting on a signal.
  const release = (): void => {
    rmSync(dir, { recursive: true, force: true });
    try {
      rmdirSync(dirname(dir)); // the locks folder itself, once no build holds a lock
    } catch {}
  };
  const unregister = registerExitKill(release);
  try {
    return await fn();
  } finally {
    unregister();
    release();
  }
}
