import { resolve } from 'node:path';
import { inspectImage } from '../image/inspect-image.ts';
import { openFileReader, parsePartitionTable } from '../image/partition-table.ts';
import type { DiskMap } from '../image/types.ts';
import { checkConfig } from './check-config.ts';
import { checkDisk } from './check-disk.ts';
import { checkFsFeatures } from './check-fs.ts';
import { checkSyslinux } from './check-syslinux.ts';
import type { LintContext } from './lint-context.ts';
import { finding, type LintFinding } from './types.ts';
import { checkOtherChain } from './check-chain.ts';
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
    // A damaged image must give findings, not a crash: a check that throws becomes a warning naming it.
    const guarded = async (name: string, stage: LintFinding['stage'], run: () => LintFinding[] | Promise<LintFinding[]>): Promise<LintFinding[]> => {
      try {
        return await run();
      } catch (e) {
        return [finding('warning', 'LINT_CHECK_FAILED', stage, `the ${name} check could not finish on this image: ${(e as Error).message}`, 'the structures it reads are damaged or unusual; boot the image to see what the firmware makes of it')];
      }
    };
    // The checks that make sense for the detected chain: the SYSLINUX ones only where SYSLINUX boots.
    const chain = map.chain;
    const findings: LintFinding[] = [];
    if (!chain || chain.ladder === 'syslinux') {
      findings.push(
        ...(await guarded('disk', 'mbr', () => checkDisk(ctx))),
        ...(await guarded('file-system', 'vbr', () => checkFsFeatures(ctx))),
        ...(await guarded('SYSLINUX install', 'ldlinux-sys', () => checkSyslinux(ctx))),
        ...(await guarded('config', 'config', () => checkConfig(ctx))),
      );
    } else {
      findings.push(...(await guarded('chain', 'mbr', () => checkOtherChain(ctx, chain))));
    }
    return { image, findings, ms: performance.now() - t0 };
  } finally {
    reader.close();
  }
}
