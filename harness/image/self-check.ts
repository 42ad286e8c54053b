import { tempPrefix } from '../leftovers.ts';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { parseStats, runsToRanges } from './debugfs-output.ts';
import { detectFs } from './fs-detect.ts';
import { requireTool } from './host-tools.ts';
import type { ImageFile } from './image-def.ts';
import { inspectImage, runDebugfs, SYSLINUX_DIRS } from './inspect-image.ts';
import { isMbrChain, LINUX_FS_GUID, SECTOR, type PartitionPlan } from './layout.ts';
import { FatVolume, mapFatSyslinuxFiles } from './fat-map.ts';
import { installedName } from './build-fat.ts';
import { bootPartitionType } from './write-mbr.ts';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileReader, parseGptHeader, parsePartitionTable } from './partition-table.ts';
import { readMappedFile } from './read-mapped-file.ts';
import type { DiskMap, ImageLayout, Region } from './types.ts';

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
  /** The boot code expected in the first 440 bytes (gptmbr.bin, mbr.bin). */
  mbrCode: Buffer;
  /** Where the SYSLINUX install must be ("/extlinux", "/syslinux"); for GRUB, where its payload is ("/boot"). */
  syslinuxDir: string;
  /** GRUB: core.img as written from LBA 1. */
  grubCore?: Buffer;
}

function checkTable(input: SelfCheckInput): CheckResult[] {
  const { image, layout, plan, mbrCode } = input;
  const out: CheckResult[] = [];
  const add = (name: string, ok: boolean, detail: string) => out.push({ name, ok, detail });
  const mbrChain = isMbrChain(layout.chain);
  const codeName = layout.chain === 'gpt-extlinux' ? 'gptmbr.bin' : layout.chain === 'grub-bios' ? "GRUB's boot.img (kernel sector 1)" : 'mbr.bin';
  const reader = openFileReader(image);
  try {
    const t = parsePartitionTable(reader);
    if (mbrChain) {
      add('mbr-table', t.kind === 'mbr' && !t.gpt, `table ${t.kind}${t.gpt ? ' (a GPT is present too)' : ''}`);
    } else {
      add('gpt', t.kind === 'gpt' && !!t.gpt?.headerCrcOk && !!t.gpt.entriesCrcOk, `table ${t.kind}, header CRC ${t.gpt?.headerCrcOk ? 'ok' : 'BAD'}, entries CRC ${t.gpt?.entriesCrcOk ? 'ok' : 'BAD'}`);
      const backup = parseGptHeader(reader.read((plan.diskSectors - 1) * SECTOR, SECTOR), plan.diskSectors - 1);
      add('gpt-backup', !!backup?.headerCrcOk, backup ? `backup header at LBA ${backup.lba}` : `no backup header at LBA ${plan.diskSectors - 1}`);
    }
    const want = [
      { n: 1, name: layout.bootName, ...plan.boot, boot: true },
      { n: 2, name: layout.confName, ...plan.conf, boot: false },
    ];
    add('partition-count', t.partitions.length === 2, `${t.partitions.length} partitions`);
    for (const w of want) {
      const p = t.partitions.find((x) => x.number === w.n);
      if (mbrChain) {
        const type = `0x${(w.n === 1 ? bootPartitionType(layout) : 0x83).toString(16).padStart(2, '0').toUpperCase()}`;
        const ok = !!p && p.firstLba === w.firstLba && p.lastLba === w.lastLba && p.typeGuid === type && p.legacyBiosBootable === w.boot;
        add(`p${w.n}`, ok, p ? `${p.firstLba}–${p.lastLba} type ${p.typeGuid} (expected ${type})${p.legacyBiosBootable ? ' active' : ''}` : 'missing');
      } else {
        const ok = !!p && p.name === w.name && p.firstLba === w.firstLba && p.lastLba === w.lastLba && p.typeGuid === LINUX_FS_GUID && p.legacyBiosBootable === w.boot;
        add(`p${w.n}`, ok, p ? `"${p.name}" ${p.firstLba}–${p.lastLba} type ${p.typeGuid} attrs ${p.attributes}${p.legacyBiosBootable ? ' (legacy BIOS bootable)' : ''}` : 'missing');
      }
    }
    const mbr = reader.read(0, SECTOR);
    add('mbr-code', mbr.subarray(0, 440).equals(mbrCode.subarray(0, 440)), `first 440 bytes = ${codeName}`);
    const sigOk = mbr[510] === 0x55 && mbr[511] === 0xaa;
    add('mbr-signature', sigOk && (mbrChain || t.mbr.protective), mbrChain ? `55AA at 510 ${sigOk ? 'present' : 'MISSING'}` : `55AA at 510, protective entry ${t.mbr.protective ? 'present' : 'MISSING'}`);
    if (input.grubCore) {
      const core = reader.read(SECTOR, input.grubCore.length);
      add('grub-core', core.equals(input.grubCore), `core.img (${input.grubCore.length} B) at LBA 1–${Math.ceil(input.grubCore.length / SECTOR)}, before p1 at ${plan.boot.firstLba}`);
    }
    if (layout.chain !== 'grub-bios') {
      const vbr = reader.read(plan.boot.firstLba * SECTOR, SECTOR);
      const oem = vbr.toString('latin1', 3, 11);
      const fatOk = layout.bootFs !== 'vfat' || oem === 'SYSLINUX';
      add('vbr-signature', vbr[510] === 0x55 && vbr[511] === 0xaa && fatOk, `p1 sector ${plan.boot.firstLba} ends in 55AA${layout.bootFs === 'vfat' ? `, OEM name "${oem}" (SYSLINUX's FAT boot sector)` : ' (SYSLINUX VBR)'}`);
    }
  } finally {
    reader.close();
  }
  return out;
}

/** fsck.fat has no offset option: it checks a copy of the partition's bytes. */
async function fsckFat(image: string, n: number, lba: number, sectors: number): Promise<CheckResult> {
  const dir = await mkdtemp(join(tmpdir(), tempPrefix('fsck')));
  try {
    const part = join(dir, `p${n}.img`);
    const src = await open(image, 'r');
    const dst = await open(part, 'w');
    try {
      const buf = Buffer.alloc(sectors * SECTOR);
      await src.read(buf, 0, buf.length, lba * SECTOR);
      await dst.write(buf, 0, buf.length, 0);
    } finally {
      await src.close();
      await dst.close();
    }
    const r = await runTool(requireTool('fsck.fat'), ['-n', part], { reject: false, all: true });
    const text = (r.all ?? '').trim().split('\n');
    return { name: `fsck-p${n}`, ok: r.exitCode === 0, detail: r.exitCode === 0 ? `fsck.fat -n clean: ${text.at(-1)}` : `fsck.fat -n exit ${r.exitCode}: ${text.slice(-5).join(' | ')}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
async function fsck(image: string, n: number, lba: number): Promise<CheckResult> {
  const r = await runTool(requireTool('e2fsck'), ['-fn', `${image}?offset=${lba * SECTOR}`], { reject: false, all: true, env: { E2FSCK_CONFIG: '/dev/null' } });
  const summary = r.stdout.trim().split('\n').at(-1) ?? '';
  return { name: `fsck-p${n}`, ok: r.exitCode === 0, detail: r.exitCode === 0 ? `e2fsck -fn clean: ${summary}` : `e2fsck -fn exit ${r.exitCode}: ${(r.all ?? '').trim().split('\n').slice(-5).join(' | ')}` };
}

async function checkGrubFiles(input: SelfCheckInput, map: DiskMap): Promise<CheckResult[]> {
  const out: CheckResult[] = [{ name: 'fs-types', ok: map.partitions[0]?.fs === input.layout.bootFs && map.partitions[1]?.fs === input.layout.confFs, detail: `p1 ${map.partitions[0]?.fs}, p2 ${map.partitions[1]?.fs}` }];
  for (const f of [...input.files, { dest: 'grub/i386-pc/normal.mod', bytes: await readFile('/usr/lib/grub/i386-pc/normal.mod'), origin: 'grub-pc-bin' }]) {
    const path = `/boot/${f.dest}`;
    const r = map.regions.find((x) => x.path === path) ?? (await grubRegions(input.image, input.plan.boot.firstLba, 1, [path]))[0];
    const same = r ? (await readMappedFile(input.image, r)).equals(f.bytes) : false;
    out.push({ name: f.dest, ok: !!r && same, detail: r ? `${r.size} B (expected ${f.bytes.length}), bytes ${same ? 'match' : 'DIFFER'} via debugfs ranges` : 'missing' });
  }
  return out;
}

/** File regions (via debugfs stat) of files in an ext boot partition, for paths that exist. */
async function grubRegions(image: string, firstLba: number, partition: number, paths: string[]): Promise<Region[]> {
  const offset = firstLba * SECTOR;
  const reader = openFileReader(image);
  let blockSize: number;
  try {
    blockSize = detectFs(reader.read(offset, 2048)).blockSize ?? 0;
  } finally {
    reader.close();
  }
  if (!blockSize) return [];
  const stats = parseStats(await runDebugfs(image, offset, paths.map((p) => `stat "${p}"`)));
  const out: Region[] = [];
  for (const p of paths) {
    const s = stats.find((x) => x.path === p);
    if (!s?.found || s.size === undefined) continue;
    out.push({ name: p, kind: 'file', partition, path: p, size: s.size, ranges: runsToRanges(s.runs, s.size, blockSize, offset) });
  }
  return out;
}

async function checkFiles(input: SelfCheckInput, map: DiskMap): Promise<CheckResult[]> {
  if (input.layout.chain === 'grub-bios') return checkGrubFiles(input, map);
  const out: CheckResult[] = [];
  const dir = input.syslinuxDir;
  const chain = input.layout.chain;
  out.push({ name: 'syslinux-dir', ok: map.syslinuxDir === dir, detail: `ldlinux.sys found in ${map.syslinuxDir ?? 'no directory'} (expected ${dir})` });
  out.push({ name: 'fs-types', ok: map.partitions[0]?.fs === input.layout.bootFs && map.partitions[1]?.fs === input.layout.confFs, detail: `p1 ${map.partitions[0]?.fs}, p2 ${map.partitions[1]?.fs}` });
  for (const f of ['ldlinux.sys', 'ldlinux.c32']) {
    const r = map.regions.find((x) => x.path === `${dir}/${f}`);
    out.push({ name: f, ok: !!r && (r.size ?? 0) > 0, detail: r ? `${r.size} B in ${r.ranges.length} range(s)` : 'missing' });
  }
  const nested: ImageFile[] = [];
  const fat = input.layout.bootFs === 'vfat';
  for (const f of input.files) {
    const name = installedName(chain, f.dest);
    // debugfs maps only the SYSLINUX directory itself; on FAT the map holds only its direct files too.
    if (f.dest.includes('/')) { nested.push(f); continue; }
    const r = map.regions.find((x) => x.path === `${dir}/${name}`);
    const same = r ? (await readMappedFile(input.image, r)).equals(f.bytes) : false;
    out.push({ name, ok: !!r && r.size === f.bytes.length && same, detail: r ? `${r.size} B (expected ${f.bytes.length}), bytes ${same ? 'match' : 'DIFFER'} via map ranges` : 'missing' });
  }
  if (nested.length && !fat) {
    const stats = parseStats(await runDebugfs(input.image, input.plan.boot.firstLba * SECTOR, nested.map((f) => `stat "${dir}/${f.dest}"`)));
    for (const f of nested) {
      const s = stats.find((x) => x.path === `${dir}/${f.dest}`);
      out.push({ name: f.dest, ok: !!s?.found && s.size === f.bytes.length, detail: s?.found ? `${s.size} B (expected ${f.bytes.length})` : 'missing' });
    }
  } else if (nested.length) {
    const reader = openFileReader(input.image);
    try {
      const vol = new FatVolume(reader, input.plan.boot.firstLba * SECTOR);
      for (const f of nested) {
        const parts = `${dir}/${f.dest}`.split('/');
        const base = parts.pop()!;
        const e = vol.list(parts.join('/'))?.find((x) => !x.isDir && x.name.toLowerCase() === base.toLowerCase());
        const bytes = e ? await readMappedFile(input.image, { name: f.dest, kind: 'file', ranges: vol.ranges(e.firstCluster, e.size) }) : null;
        out.push({ name: f.dest, ok: !!bytes && bytes.equals(f.bytes), detail: e ? `${e.size} B (expected ${f.bytes.length}), bytes ${bytes?.equals(f.bytes) ? 'match' : 'DIFFER'} via the FAT` : 'missing' });
      }
    } finally {
      reader.close();
    }
  }
  return out;
}

/**
 * The disk map of a built image: inspectImage's (partition table, VBR, ext files through debugfs), plus,
 * for a FAT boot partition, its SYSLINUX directory mapped from the FAT, and the chain in the notes.
 */
export async function mapBuiltImage(image: string, layout: ImageLayout): Promise<DiskMap> {
  const map = await inspectImage(image);
  const boot = map.partitions.find((p) => p.number === map.bootPartition);
  if (boot && boot.fs === 'vfat' && map.regions.every((r) => r.kind !== 'file')) {
    const reader = openFileReader(image);
    try {
      const fat = mapFatSyslinuxFiles(reader, boot.firstLba * SECTOR, boot.number, SYSLINUX_DIRS);
      map.notes = map.notes.filter((n) => !/is vfat, not ext2\/3\/4: its files are not mapped/.test(n));
      map.notes.push(...fat.notes, `boot partition ${boot.number} is FAT: its files are mapped from the FAT (harness/image/fat-map.ts)`);
      map.syslinuxDir = fat.dir;
      map.regions.push(...fat.regions);
    } finally {
      reader.close();
    }
  }
  if (layout.chain === 'grub-bios' && boot && boot.fs.startsWith('ext')) {
    // GRUB has no SYSLINUX directory: map what it reads from p1 (its config and the payload) as files.
    const regs = await grubRegions(image, boot.firstLba, boot.number, ['/boot/grub/grub.cfg', '/boot/ipxe.lkrn']);
    map.regions.push(...regs);
    map.notes.push('GRUB: boot.img in the MBR loads core.img from LBA 1 (the post-MBR gap, not a region of this map); p1 has no boot sector of its own');
  }
  // First, not last: the stage tracker quotes the last note as the reason a region is missing.
  map.notes.unshift(`chain: ${layout.chain}`);
  return map;
}

/**
 * Checks a freshly built image against its plan; returns every check and the disk map, or throws
 * SELF_CHECK_FAILED listing what is off.
 */
export async function selfCheck(input: SelfCheckInput): Promise<{ checks: CheckResult[]; map: DiskMap }> {
  const [map, f1, f2] = await Promise.all([
    mapBuiltImage(input.image, input.layout),
    input.layout.bootFs === 'vfat' ? fsckFat(input.image, 1, input.plan.boot.firstLba, input.plan.boot.sectors) : fsck(input.image, 1, input.plan.boot.firstLba),
    fsck(input.image, 2, input.plan.conf.firstLba),
  ]);
  const checks = [...checkTable(input), f1, f2, ...(await checkFiles(input, map))];
  const bad = checks.filter((c) => !c.ok);
  if (bad.length) {
    throw new BootchainError('SELF_CHECK_FAILED', `self-check of ${input.image} failed: ${bad.map((c) => `${c.name}: ${c.detail}`).join('; ')}`, 'the build output was discarded; rerun with --no-cache, and report the failing checks if it persists');
  }
  return { checks, map };
}
