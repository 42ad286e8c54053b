import { BootchainError } from '../errors.ts';
import { requireTool } from './host-tools.ts';
import { runTool } from '../run-tool.ts';

/** A partition as `sfdisk -J` prints it. */
export interface SfdiskPartition {
  start: number;
  size: number;
  type: string;
  name?: string;
  attrs?: string;
  bootable?: boolean;
}

/**
 * Writes a partition table with an sfdisk script, reads it back with `sfdisk -J` and checks it against the
 * plan: the label, two partitions at the planned start and size, and what `compare` adds per partition.
 * Throws `mismatchCode` naming every field that differs (`what`: "GPT", "MBR partition table").
 */
export async function writeAndReadBack<W extends { firstLba: number; sectors: number }>(
  image: string,
  o: { script: string; label: string; what: string; mismatchCode: string; want: W[]; compare: (g: SfdiskPartition, w: W, n: number, diffs: string[]) => void },
): Promise<void> {
  const sfdisk = requireTool('sfdisk');
  const w = await runTool(sfdisk, ['-q', '--no-reread', '--no-tell-kernel', '--wipe', 'never', image], { input: o.script, reject: false, all: true });
  if (w.exitCode !== 0) throw new BootchainError('SFDISK_FAILED', `sfdisk could not write the ${o.what} of ${image}: ${(w.all ?? '').trim()}`, 'run the sfdisk script by hand to see the problem');
  const r = await runTool(sfdisk, ['-J', image], { reject: false });
  let pt: { label: string; partitions?: SfdiskPartition[] };
  try {
    pt = (JSON.parse(r.stdout) as { partitiontable: typeof pt }).partitiontable;
  } catch {
    throw new BootchainError(o.mismatchCode, `reading back the ${o.what} of ${image} failed: ${r.stderr.trim()}`, 'the partition table was not written');
  }
  const got = pt.partitions ?? [];
  const diffs: string[] = [];
  if (pt.label !== o.label) diffs.push(`label is ${pt.label}, expected ${o.label}`);
  if (got.length !== o.want.length) diffs.push(`${got.length} partitions, expected ${o.want.length}`);
  o.want.forEach((w, i) => {
    const g = got[i];
    if (!g) return;
    const n = i + 1;
    if (g.start !== w.firstLba) diffs.push(`p${n} start ${g.start}, expected ${w.firstLba}`);
    if (g.size !== w.sectors) diffs.push(`p${n} size ${g.size}, expected ${w.sectors}`);
    o.compare(g, w, n, diffs);
  });
  if (diffs.length) throw new BootchainError(o.mismatchCode, `${o.what} read back from ${image} differs from the plan: ${diffs.join('; ')}`, 'report this with the sfdisk version (sfdisk --version)');
}
