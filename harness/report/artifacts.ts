import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { workspace } from '../project/workspace.ts';
import { BootchainError } from '../errors.ts';

/** A fresh, uniquely named folder for one run's artifacts: artifacts/<time>-<label>-<pid>. */
export async function newArtifactsDir(root: string = workspace().artifactsDir, label: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const safe = label.replace(/[^\w.-]+/g, '_').slice(0, 60);
  const dir = join(resolve(root), `${stamp}-${safe}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BootchainError('ARTIFACTS_UNWRITABLE', `cannot create the run's artifacts folder ${dir}: ${code ?? (e as Error).message}`, 'free space there or point --artifacts / BOOTCHAIN_ARTIFACTS at a writable folder', { cause: e });
  }
  return dir;
}
