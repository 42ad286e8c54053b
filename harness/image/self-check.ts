import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { parseStats } from './debugfs-output.ts';
import { requireTool } from './host-tools.ts';
import type { ImageFile } from './image-def.ts';
import { inspectImage, runDebugfs } from './inspect-image.ts';
import { LINUX_FS_GUID, SECTOR, type PartitionPlan } from './layout.ts';
import { openFileReader, parseGptHeader, parsePartitionTable } from './partition-table.ts';
import { readMappedFile } from './read-mapped-file.ts';
import type { DiskMap, ImageLayout } from './types.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SelfCheckInput {
  image: string;
  layout: ImageLayout;
  plan: PartitionPlan;
  files: ImageFile[];
  gptmbr: Buffer;
}

function checkTable(input: SelfCheckInput): CheckResult[] {
  const { image, layout, plan, gptmbr } = input;
  const out: CheckResult[] = [];
  const add = (name: string, ok: boolean, detail: string) => out.push({ name, ok, detail });
  const reader = openFileReader(image);
  try {
    const t = parsePartitionTable(reader);
    add('gpt', t.kind === 'gpt' && !!t.gpt?.headerCrcOk && !!t.gpt.entriesCrcOk, `table ${t.kind}, header CRC ${t.gpt?.headerCrcOk ? 'ok' : 'BAD'}, entries CRC ${t.gpt?.entriesCrcOk ? 'ok' : 'BAD'}`);
    const backup = parseGptHeader(reader.read((plan.diskSectors - 1) * SECTOR, SECTOR), plan.diskSectors - 1);
    add('gpt-backup', !!backup?.headerCrcOk, backup ? `backup header at LBA ${backup.lba}` : `no backup header at LBA ${plan.diskSectors - 1}`);
    const want = [
      { n: 1, name: layout.bootName, ...plan.boot, boot: true },
      { n: 2, name: layout.confName, ...plan.conf, boot: false },
    ];
    add('partition-count', t.partitions.length === 2, `${t.partitions.length} partitions`);
    for (const w of want) {
      const p = t.partitions.find((x) => x.number === w.n);
      const ok = !!p && p.name === w.name && p.firstLba === w.firstLba && p.lastLba === w.lastLba && p.typeGuid === LINUX_FS_GUID && p.legacyBiosBootable === w.boot;
      add(`p${w.n}`, ok, p ? `"${p.name}" ${p.firstLba}–${p.lastLba} type ${p.typeGuid} attrs ${p.attributes}${p.legacyBiosBootable ? ' (legacy BIOS bootable)' : ''}` : 'missing');
    }
    const mbr = reader.read(0, SECTOR);
    add('mbr-code', mbr.subarray(0, 440).equals(gptmbr.subarray(0, 440)), 'first 440 bytes = gptmbr.bin');
    add('mbr-signature', mbr[510] === 0x55 && mbr[511] === 0xaa && t.mbr.protective, `55AA at 510, protective entry ${t.mbr.protective ? 'present' : 'MISSING'}`);
    const vbr = reader.read(plan.boot.firstLba * SECTOR, SECTOR);
    add('vbr-signature', vbr[510] === 0x55 && vbr[511] === 0xaa, `p1 sector ${plan.boot.firstLba} ends in 55AA (SYSLINUX VBR)`);
  } finally {
    reader.close();
  }
  return out;
}

async function fsck(image: string, n: number, lba: number): Promise<CheckResult> {
  const r = await runTool(requireTool('e2fsck'), ['-fn', `${image}?offset=${lba * SECTOR}`], { reject: false, all: true, env: { E2FSCK_CONFIG: '/dev/null' } });
  const summary = r.stdout.trim().split('\n').at(-1) ?? '';
  return { name: `fsck-p${n}`, ok: r.exitCode === 0, detail: r.exitCode === 0 ? `e2fsck -fn clean: ${summary}` : `e2fsck -fn exit ${r.exitCode}: ${(r.all ?? '').trim().split('\n').slice(-5).join(' | ')}` };
}

async function checkFiles(input: SelfCheckInput, map: DiskMap): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  out.push({ name: 'syslinux-dir', ok: map.syslinuxDir === '/extlinux', detail: `ldlinux.sys found in ${map.syslinuxDir ?? 'no directory'}` });
  out.push({ name: 'fs-types', ok: map.partitions[0]?.fs === input.layout.bootFs && map.partitions[1]?.fs === input.layout.confFs, detail: `p1 ${map.partitions[0]?.fs}, p2 ${map.partitions[1]?.fs}` });
  for (const f of ['ldlinux.sys', 'ldlinux.c32']) {
    const r = map.regions.find((x) => x.path === `/extlinux/${f}`);
    out.push({ name: f, ok: !!r && (r.size ?? 0) > 0, detail: r ? `${r.size} B in ${r.ranges.length} range(s)` : 'missing' });
  }
  const nested: ImageFile[] = [];
  for (const f of input.files) {
    if (f.dest.includes('/')) { nested.push(f); continue; }
    const r = map.regions.find((x) => x.path === `/extlinux/${f.dest}`);
    const same = r ? (await readMappedFile(input.image, r)).equals(f.bytes) : false;
    out.push({ name: f.dest, ok: !!r && r.size === f.bytes.length && same, detail: r ? `${r.size} B (expected ${f.bytes.length}), bytes ${same ? 'match' : 'DIFFER'} via map ranges` : 'missing' });
  }
  if (nested.length) {
    const stats = parseStats(await runDebugfs(input.image, input.plan.boot.firstLba * SECTOR, nested.map((f) => `stat "/extlinux/${f.dest}"`)));
    for (const f of nested) {
      const s = stats.find((x) => x.path === `/extlinux/${f.dest}`);
      out.push({ name: f.dest, ok: !!s?.found && s.size === f.bytes.length, detail: s?.found ? `${s.size} B (expected ${f.bytes.length})` : 'missing' });
    }
  }
  return out;
}

/**
 * Checks a freshly built image against its plan; returns every check and the disk map, or throws
 * SELF_CHECK_FAILED listing what is off.
 */
export async function selfCheck(input: SelfCheckInput): Promise<{ checks: CheckResult[]; map: DiskMap }> {
  const [map, f1, f2] = await Promise.all([
    inspectImage(input.image),
    fsck(input.image, 1, input.plan.boot.firstLba),
    fsck(input.image, 2, input.plan.conf.firstLba),
  ]);
  const checks = [...checkTable(input), f1, f2, ...(await checkFiles(input, map))];
  const bad = checks.filter((c) => !c.ok);
  if (bad.length) {
    throw new BootchainError('SELF_CHECK_FAILED', `self-check of ${input.image} failed: ${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}`, 'the build output was discarded; rerun with --no-cache, and report the failing checks if it persists');
  }
  return { checks, map };
}
