import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Best-effort JSON files of the workspace's caches: an answer that cannot be read (absent, torn, not what
 * `valid` expects) is null, and one that cannot be written is simply not cached. Written whole under a
 * pid-stamped temp name, then renamed into place, so concurrent runs never read half a file.
 */
export async function readCachedJson<T>(file: string, valid: (v: unknown) => v is T): Promise<T | null> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return valid(v) ? v : null;
  } catch {
    return null;
  }
}

export async function writeCachedJson(file: string, value: unknown): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, file);
  } catch {
    // an optimisation only
  }
}
