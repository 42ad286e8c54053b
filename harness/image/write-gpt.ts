import { writeAndReadBack } from './sfdisk-table.ts';
import { LINUX_FS_GUID, type PartitionPlan } from './layout.ts';
import type { ImageLayout } from './types.ts';

export interface GptIds {
  disk: string;
  boot: string;
  conf: string;
}

/** The sfdisk script for the seed's layout (explicit sizes: sfdisk would round the last partition to 1 MiB). */
export function sfdiskScript(layout: ImageLayout, plan: PartitionPlan, ids: GptIds): string {
  return [
    'label: gpt',
    `label-id: ${ids.disk}`,
    'unit: sectors',
    'first-lba: 34',
    `last-lba: ${plan.lastUsableLba}`,
    `start=${plan.boot.firstLba}, size=${plan.boot.sectors}, type=${LINUX_FS_GUID}, uuid=${ids.boot}, name="${layout.bootName}", attrs="LegacyBIOSBootable"`,
    `start=${plan.conf.firstLba}, size=${plan.conf.sectors}, type=${LINUX_FS_GUID}, uuid=${ids.conf}, name="${layout.confName}"`,
    '',
  ].join('\n');
}

/** Writes the GPT with sfdisk and reads it back with sfdisk -J; throws GPT_MISMATCH naming the field that differs. */
export async function writeGpt(image: string, layout: ImageLayout, plan: PartitionPlan, ids: GptIds): Promise<void> {
  await writeAndReadBack(image, {
    script: sfdiskScript(layout, plan, ids),
    label: 'gpt',
    what: 'GPT',
    mismatchCode: 'GPT_MISMATCH',
    want: [
      { ...plan.boot, name: layout.bootName, attrs: 'LegacyBIOSBootable' },
      { ...plan.conf, name: layout.confName, attrs: '' },
    ],
    compare: (g, w, n, diffs) => {
      if (g.type.toUpperCase() !== LINUX_FS_GUID) diffs.push(`p${n} type ${g.type}, expected ${LINUX_FS_GUID}`);
      if ((g.name ?? '') !== w.name) diffs.push(`p${n} name "${g.name ?? ''}", expected "${w.name}"`);
      if ((g.attrs ?? '') !== w.attrs) diffs.push(`p${n} attrs "${g.attrs ?? ''}", expected "${w.attrs}"`);
    },
  });
}
