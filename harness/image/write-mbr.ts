import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { requireTool } from './host-tools.ts';
import { MBR_TYPE_FAT16_LBA, MBR_TYPE_LINUX, type PartitionPlan } from './layout.ts';
import type { ImageLayout } from './types.ts';

/** MBR type byte of the boot partition for a layout: FAT16 (LBA) for SYSLINUX on FAT, else Linux. */
export function bootPartitionType(layout: ImageLayout): number {
  return layout.bootFs === 'vfat' ? MBR_TYPE_FAT16_LBA : MBR_TYPE_LINUX;
}

/** The sfdisk script of a DOS-label layout: p1 active (boot), p2 (conf) to the end of the disk. */
export function sfdiskDosScript(layout: ImageLayout, plan: PartitionPlan, diskId: number): string {
  return [
    'label: dos',
    `label-id: 0x${diskId.toString(16).padStart(8, '0')}`,
    'unit: sectors',
    `start=${plan.boot.firstLba}, size=${plan.boot.sectors}, type=${bootPartitionType(layout).toString(16)}, bootable`,
    `start=${plan.conf.firstLba}, size=${plan.conf.sectors}, type=${MBR_TYPE_LINUX.toString(16)}`,
    '',
  ].join('\n');
}

interface SfdiskDosJson {
  partitiontable: { label: string; id?: string; partitions?: Array<{ start: number; size: number; type: string; bootable?: boolean }> };
}

/** Writes the DOS partition table with sfdisk and reads it back with sfdisk -J; throws MBR_MISMATCH naming what differs. */
export async function writeMbrTable(image: string, layout: ImageLayout, plan: PartitionPlan, diskId: number): Promise<void> {
  const sfdisk = requireTool('sfdisk');
  const w = await runTool(sfdisk, ['-q', '--no-reread', '--no-tell-kernel', '--wipe', 'never', image], { input: sfdiskDosScript(layout, plan, diskId), reject: false, all: true });
  if (w.exitCode !== 0) throw new BootchainError('SFDISK_FAILED', `sfdisk could not write the MBR partition table of ${image}: ${(w.all ?? '').trim()}`, 'run the sfdisk script by hand to see the problem');
  const r = await runTool(sfdisk, ['-J', image], { reject: false });
  let pt: SfdiskDosJson['partitiontable'];
  try {
    pt = (JSON.parse(r.stdout) as SfdiskDosJson).partitiontable;
  } catch {
    throw new BootchainError('MBR_MISMATCH', `reading back the MBR partition table of ${image} failed: ${r.stderr.trim()}`, 'the partition table was not written');
  }
  const want = [
    { ...plan.boot, type: bootPartitionType(layout), bootable: true },
    { ...plan.conf, type: MBR_TYPE_LINUX, bootable: false },
  ];
  const got = pt.partitions ?? [];
  const diffs: string[] = [];
  if (pt.label !== 'dos') diffs.push(`label is ${pt.label}, expected dos`);
  if (got.length !== 2) diffs.push(`${got.length} partitions, expected 2`);
  want.forEach((w, i) => {
    const g = got[i];
    if (!g) return;
    const n = i + 1;
    if (g.start !== w.firstLba) diffs.push(`p${n} start ${g.start}, expected ${w.firstLba}`);
    if (g.size !== w.sectors) diffs.push(`p${n} size ${g.size}, expected ${w.sectors}`);
    if (parseInt(g.type, 16) !== w.type) diffs.push(`p${n} type ${g.type}, expected ${w.type.toString(16)}`);
    if (!!g.bootable !== w.bootable) diffs.push(`p${n} ${g.bootable ? 'active' : 'not active'}, expected ${w.bootable ? 'active' : 'not active'}`);
  });
  if (diffs.length) throw new BootchainError('MBR_MISMATCH', `MBR partition table read back from ${image} differs from the plan: ${diffs.join('; ')}`, 'report this with the sfdisk version (sfdisk --version)');
}
