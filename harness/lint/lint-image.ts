import { resolve } from 'node:path';
import { inspectImage } from '../image/inspect-image.ts';
import { openFileReader, parsePartitionTable } from '../image/partition-table.ts';
import type { DiskMap } from '../image/types.ts';
import { checkConfig } from './check-config.ts';
import { checkDisk } from './check-disk.ts';
import { checkFsFeatures } from './check-fs.ts';
import { checkSyslinux } from './check-syslinux.ts';
import type { LintContext } from './lint-context.ts';
import type { LintReport } from './types.ts';

/**
 * Checks a raw disk image statically (no boot, no mount, no root): MBR and partition table,
 * SYSLINUX install, config, kernel and iPXE script. Throws only when the image cannot be read.
 */
export async function lintImage(imagePath: string, opts: { map?: DiskMap } = {}): Promise<LintReport> {
  const t0 = performance.now();
  const image = resolve(imagePath);
  const map = opts.map ?? (await inspectImage(image));
  const reader = openFileReader(image);
  try {
    const table = parsePartitionTable(reader);
    const boot = table.partitions.find((p) => p.legacyBiosBootable);
    const ctx: LintContext = { image, map, reader, table, boot };
    const findings = [
      ...checkDisk(ctx),
      ...checkFsFeatures(ctx),
      ...(await checkSyslinux(ctx)),
      ...(await checkConfig(ctx)),
    ];
    return { image, findings, ms: performance.now() - t0 };
  } finally {
    reader.close();
  }
}
