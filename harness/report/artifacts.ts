import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { workspace } from '../project/workspace.ts';

/** A fresh, uniquely named folder for one run's artifacts: artifacts/<time>-<label>-<pid>. */
export async function newArtifactsDir(root: string = workspace().artifactsDir, label: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const safe = label.replace(/[^\w.-]+/g, '_').slice(0, 60);
  const dir = join(resolve(root), `${stamp}-${safe}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`);
  await mkdir(dir, { recursive: true });
  return dir;
}
