import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BootchainError } from '../errors.ts';

/**
 * Creates the output folder if needed and checks it can take the build's files, before anything is built:
 * a clear error naming the folder instead of a failure halfway through the build.
 */
export async function checkOutputDir(dir: string): Promise<void> {
  const abs = resolve(dir);
  try {
    await mkdir(abs, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BootchainError('OUT_DIR_NOT_WRITABLE', `cannot create the output folder ${abs}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way' : (e as Error).message}`, 'pass a folder you can write with --dist DIR');
  }
  const st = await stat(abs);
  if (!st.isDirectory()) throw new BootchainError('OUT_DIR_NOT_WRITABLE', `the output folder ${abs} is not a folder`, 'pass a folder you can write with --dist DIR');
  try {
    await access(abs, constants.W_OK | constants.X_OK);
  } catch {
    throw new BootchainError('OUT_DIR_NOT_WRITABLE', `the output folder ${abs} is not writable by this user (uid ${process.getuid?.() ?? '?'})`, 'pass a folder you can write with --dist DIR, or fix its permissions');
  }
}
