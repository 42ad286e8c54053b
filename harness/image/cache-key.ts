import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { readCachedJson, writeCachedJson } from '../json-cache.ts';
import { join } from 'node:path';
import { workspace } from '../project/workspace.ts';
import { runTool } from '../run-tool.ts';
import { GPTMBR_BIN, requireTool } from './host-tools.ts';
import type { LoadedImage } from './image-def.ts';

/** Bump when the builder's output for the same inputs changes. */
export const BUILDER_VERSION = 2;

let toolVersions: Promise<string> | undefined;

/** Versions of the tools whose output lands in the image (memoized per process). */
export function hostToolVersions(): Promise<string> {
  toolVersions ??= (async () => {
    // A tool's version line depends on its binary alone: remembered on disk by the binary's identity
    // (path, inode, size, mtime), so a run does not spawn three tools only to read what it read last time.
    const memo = (await readCachedJson(memoFile(), isMemo)) ?? {};
    let memoChanged = false;
    const run = async (tool: string, arg: string) => {
      const bin = requireTool(tool);
      const id = await binaryIdentity(bin, arg);
      let line = id ? memo[id] : undefined;
      if (line === undefined) {
        const r = await runTool(bin, [arg], { reject: false, all: true });
        line = (r.all ?? '').split('\n')[0]?.trim() ?? '';
        if (id && r.exitCode === 0) {
          memo[id] = line;
          memoChanged = true;
        }
      }
      return `${tool}: ${line}`;
    };
    const [ext, mke2fs, sfdisk] = await Promise.all([run('extlinux', '--version'), run('mke2fs', '-V'), run('sfdisk', '--version')]);
    if (memoChanged) await writeCachedJson(memoFile(), memo);
    const sha = async (file: string) => {
      try {
        return createHash('sha256').update(await readFile(file)).digest('hex');
      } catch {
        return 'absent';
      }
    };
    const gptmbr = await sha(requireTool('gptmbr.bin'));
    // The rootless builder's EXTLINUX bytes come out of the extlinux binary; mke2fs's defaults from its config.
    const [extBin, mke2fsConf] = await Promise.all([sha(requireTool('extlinux')), sha(process.env['MKE2FS_CONFIG'] ?? '/etc/mke2fs.conf')]);
    return [ext, mke2fs, sfdisk, `gptmbr.bin(${GPTMBR_BIN}): ${gptmbr}`, `extlinux binary: ${extBin}`, `mke2fs.conf: ${mke2fsConf}`].join('\n');
  })();
  // A failure (missing tool) must not stick: the next call looks again.
  toolVersions.catch(() => { toolVersions = undefined; });
  return toolVersions;
}

const memoFile = (): string => join(workspace().cacheDir, 'tool-versions.json');

async function binaryIdentity(bin: string, arg: string): Promise<string | null> {
  try {
    const st = await stat(bin);
    return `${bin} ${arg} ${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

const isMemo = (v: unknown): v is Record<string, string> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * sha256 over everything that determines the image bytes: each file's destination and bytes
 * (including the ipxe.lkrn actually used), the layout, the tool versions, gptmbr.bin, the extlinux binary,
 * mke2fs.conf, the builder and the epoch of its timestamps.
 */
export async function computeCacheKey(img: LoadedImage, build: { builder: string; epoch: number }): Promise<string> {
  const h = createHash('sha256');
  h.update(`bootchain-image v${BUILDER_VERSION}\n`);
  h.update(`builder ${build.builder}, epoch ${build.epoch}\n`);
  h.update(JSON.stringify(img.layout) + '\n');
  h.update((await hostToolVersions()) + '\n');
  for (const f of img.files) {
    h.update(`${f.dest}\0${f.bytes.length}\0`);
    h.update(f.bytes);
  }
  return h.digest('hex');
}

/** A GUID derived from the cache key, so the same inputs give the same GPT/fs ids. */
export function derivedGuid(key: string, salt: string): string {
  const hex = createHash('sha256').update(`${key}:${salt}`).digest('hex');
  const v4 = `${hex.slice(0, 12)}4${hex.slice(13, 16)}${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 32)}`;
  return `${v4.slice(0, 8)}-${v4.slice(8, 12)}-${v4.slice(12, 16)}-${v4.slice(16, 20)}-${v4.slice(20, 32)}`.toUpperCase();
}
