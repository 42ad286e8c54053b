import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { requireTool } from './host-tools.ts';
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

interface SfdiskJson {
  partitiontable: { label: string; lastlba?: number; partitions?: Array<{ start: number; size: number; type: string; name?: string; attrs?: string }> };
}

/** Writes the GPT with sfdisk and reads it back with sfdisk -J; throws GPT_MISMATCH naming the field that differs. */
export async function writeGpt(image: string, layout: ImageLayout, plan: PartitionPlan, ids: GptIds): Promise<void> {
  const sfdisk = requireTool('sfdisk');
  const w = await runTool(sfdisk, ['-q', '--no-reread', '--no-tell-kernel', '--wipe', 'never', image], { input: sfdiskScript(layout, plan, ids), reject: false, all: true });
  if (w.exitCode !== 0) throw new BootchainError('SFDISK_FAILED', `sfdisk could not write the GPT of ${image}: ${(w.all ?? '').trim()}`, 'run the sfdisk script by hand to see the problem');
  const r = await runTool(sfdisk, ['-J', image], { reject: false });
  let pt: SfdiskJson['partitiontable'];
  try {
    pt = (JSON.parse(r.stdout) as SfdiskJson).partitiontable;
  } catch {
    throw new BootchainError('GPT_MISMATCH', `reading back the GPT of ${image} failed: ${r.stderr.trim()}`, 'the partition table was not written');
  }
  const want = [
    { ...plan.boot, name: layout.bootName, attrs: 'LegacyBIOSBootable' },
    { ...plan.conf, name: layout.confName, attrs: '' },
  ];
  const got = pt.partitions ?? [];
  const diffs: string[] = [];
  if (pt.label !== 'gpt') diffs.push(`label is ${pt.label}, expected gpt`);
  if (got.length !== 2) diffs.push(`${got.length} partitions, expected 2`);
  want.forEach((w, i) => {
    const g = got[i];
    if (!g) return;
    const n = i + 1;
    if (g.start !== w.firstLba) diffs.push(`p${n} start ${g.start}, expected ${w.firstLba}`);
    if (g.size !== w.sectors) diffs.push(`p${n} size ${g.size}, expected ${w.sectors}`);
    if (g.type.toUpperCase() !== LINUX_FS_GUID) diffs.push(`p${n} type ${g.type}, expected ${LINUX_FS_GUID}`);
    if ((g.name ?? '') !== w.name) diffs.push(`p${n} name "${g.name ?? ''}", expected "${w.name}"`);
    if ((g.attrs ?? '') !== w.attrs) diffs.push(`p${n} attrs "${g.attrs ?? ''}", expected "${w.attrs}"`);
  });
  if (diffs.length) throw new BootchainError('GPT_MISMATCH', `GPT read back from ${image} differs from the plan: ${diffs.join('; ')}`, 'report this with the sfdisk version (sfdisk --version)');
}
