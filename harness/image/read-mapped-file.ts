import { open } from 'node:fs/promises';
import type { DiskMap, Region } from './types.ts';

/**
 * The file region for `name`: an absolute path in the boot fs ("/extlinux/ipxe.conf"), a path
 * relative to the SYSLINUX directory ("ipxe.conf"), or failing both, a unique base name.
 */
export function findFileRegion(map: DiskMap, name: string): Region | undefined {
  const files = map.regions.filter((r) => r.kind === 'file');
  const dir = map.syslinuxDir ?? '/';
  const abs = name.startsWith('/') ? name : `${dir === '/' ? '' : dir}/${name}`;
  const exact = files.find((r) => r.path === abs);
  if (exact) return exact;
  const base = name.split('/').pop()!;
  const byBase = files.filter((r) => r.path?.split('/').pop() === base);
  return byBase.length === 1 ? byBase[0] : undefined;
}

/** Reads a region's bytes from the image, concatenating its ranges in order. */
export async function readMappedFile(image: string, region: Region): Promise<Buffer> {
  const fh = await open(image, 'r');
  try {
    const parts: Buffer[] = [];
    for (const r of region.ranges) {
      const buf = Buffer.alloc(r.end - r.start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, r.start);
      parts.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(parts);
  } finally {
    await fh.close();
  }
}
