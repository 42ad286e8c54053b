import { writeAndReadBack } from './sfdisk-table.ts';
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

/** Writes the DOS partition table with sfdisk and reads it back with sfdisk -J; throws MBR_MISMATCH naming what differs. */
export async function writeMbrTable(image: string, layout: ImageLayout, plan: PartitionPlan, diskId: number): Promise<void> {
  await writeAndReadBack(image, {
    script: sfdiskDosScript(layout, plan, diskId),
    label: 'dos',
    what: 'MBR partition table',
    mismatchCode: 'MBR_MISMATCH',
    want: [
      { ...plan.boot, type: bootPartitionType(layout), bootable: true },
      { ...plan.conf, type: MBR_TYPE_LINUX, bootable: false },
    ],
    compare: (g, w, n, diffs) => {
      if (parseInt(g.type, 16) !== w.type) diffs.push(`p${n} type ${g.type}, expected ${w.type.toString(16)}`);
      if (!!g.bootable !== w.bootable) diffs.push(`p${n} ${g.bootable ? 'active' : 'not active'}, expected ${w.bootable ? 'active' : 'not active'}`);
    },
  });
}
