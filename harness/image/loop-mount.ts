import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { tempPrefix } from '../leftovers.ts';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { findCommand, requireTool } from './host-tools.ts';
import { guardSignals } from './signal-guard.ts';

const umount = () => findCommand('umount') ?? '/usr/bin/umount';

/** True when `dir` is a mount point now (covers a mount(8) still in flight when a signal came). */
function isMountPoint(dir: string): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
  } catch {
    return false;
  }
}

/**
 * Owner of one loop mount of a partition inside an image file (and of its temp mount point).
 * The kernel picks the loop device (never a hard-coded name) and detaches it on umount.
 * close() is idempotent and also runs on SIGINT/SIGTERM while the mount is held.
 */
export class LoopMount {
  readonly dir: string;
  #mounted = false;
  #closed = false;
  /** True only once the mount and its dir are really gone (close() may be mid-way when a signal lands). */
  #done = false;
  #release: () => void = () => {};

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Mounts bytes [offset, offset+size) of `image` read-write on a fresh temp dir. */
  static async open(image: string, offset: number, size: number, prefix = tempPrefix('mnt')): Promise<LoopMount> {
    const mount = requireTool('mount');
    const m = new LoopMount(mkdtempSync(join(tmpdir(), prefix)));
    m.#release = guardSignals(() => m.closeSync());
    try {
      await runTool(mount, ['-o', `loop,offset=${offset},sizelimit=${size},noatime`, image, m.dir]);
      m.#mounted = true;
    } catch (e) {
      await m.close();
      const msg = (e as { stderr?: string }).stderr?.trim() || (e as Error).message;
      throw new BootchainError('MOUNT_FAILED', `could not loop-mount ${image} at offset ${offset} (size ${size}) on ${m.dir}: ${msg}`, 'check that loop devices are available (losetup -f) and that you are root', { cause: e });
    }
    return m;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#mounted || isMountPoint(this.dir)) {
        const r = await runTool(umount(), [this.dir], { reject: false });
        if (r.exitCode !== 0) await runTool(umount(), ['-l', this.dir], { reject: false });
        this.#mounted = false;
      }
      try { rmdirSync(this.dir); } catch { /* already gone */ }
      this.#done = true;
    } finally {
      this.#release();
    }
  }

  /** Synchronous close for signal handlers. */
  closeSync(): void {
    // Also when an async close() is under way: a signal may land between its umount and its rmdir.
    if (this.#done) return;
    this.#closed = true;
    this.#done = true;
    this.#release();
    if (this.#mounted || isMountPoint(this.dir)) {
      const r = execaSync(umount(), [this.dir], { reject: false });
      if (r.exitCode !== 0) execaSync(umount(), ['-l', this.dir], { reject: false });
      this.#mounted = false;
    }
    // An async close() may have an umount(8) of its own in flight (the signal landed mid-close): until it
    // finishes, rmdir says EBUSY. Wait for it (bounded) instead of leaving the mount dir behind.
    const wait = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 200; i++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY') return; // gone already, or not ours to remove
        if (isMountPoint(this.dir)) execaSync(umount(), ['-l', this.dir], { reject: false });
        Atomics.wait(wait, 0, 0, 10);
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
