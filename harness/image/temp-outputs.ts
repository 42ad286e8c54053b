import { rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { guardSignals } from './signal-guard.ts';

/**
 * Owner of a build's temp output files in dist/: they are renamed into place by commit() only
 * after the build and its self-check passed; close() removes whatever was not committed
 * (also on SIGINT/SIGTERM).
 */
export class TempOutputs {
  readonly #paths = new Set<string>();
  readonly #release: () => void;
  readonly #prefix: string;
  #closed = false;

  constructor(dir: string, name: string) {
    this.#prefix = join(dir, `.${name}.tmp-${process.pid}-${Date.now().toString(36)}`);
    // On a signal the build's own code keeps running until the reaper exits the process, and may create a
    // temp file after a first removal: remove on the signal and again at exit (registrations stay until close()).
    this.#release = guardSignals(() => this.#removeAllSync());
  }

  /** A temp path for an output with this suffix (e.g. ".img"), removed unless committed. */
  path(suffix: string): string {
    const p = `${this.#prefix}${suffix}`;
    this.#paths.add(p);
    return p;
  }

  /** Renames temp → final, in order. */
  async commit(pairs: Array<[tmp: string, final: string]>): Promise<void> {
    for (const [tmp, final] of pairs) {
      await rename(tmp, final);
      this.#paths.delete(tmp);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    await Promise.all([...this.#paths].map((p) => rm(p, { force: true })));
    this.#paths.clear();
  }

  #removeAllSync(): void {
    for (const p of this.#paths) rmSync(p, { force: true });
  }

  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    for (const p of this.#paths) rmSync(p, { force: true });
    this.#paths.clear();
  }
}
