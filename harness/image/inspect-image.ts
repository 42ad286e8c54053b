import { createHash } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { readCachedJson, writeCachedJson } from '../json-cache.ts';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspace } from '../project/workspace.ts';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { parseLsP, parseStats, runsToRanges, splitSections, type DirEntry } from './debugfs-output.ts';
import { detectChain } from './chain-detect.ts';
import { mapFatSyslinuxFiles } from './fat-map.ts';
import { readMappedFile } from './read-mapped-file.ts';
import { defaultLabel, parseSyslinuxConfig } from '../lint/extlinux-config.ts';
import { detectFs } from './fs-detect.ts';
import { requireTool } from './host-tools.ts';
import { openFileReader, parsePartitionTable, type DiskReader } from './partition-table.ts';
import type { DiskMap, PartitionInfo, Region } from './types.ts';

const SECTOR = 512;
/** Where SYSLINUX installations usually live, in the order we look for ldlinux.sys. */
export const SYSLINUX_DIRS = ['/extlinux', '/boot/extlinux', '/syslinux', '/boot/syslinux', '/'] as const;

/** Runs debugfs once with all `commands` on the fs at byte `offset` of `image`; returns stdout. */
export async function runDebugfs(image: string, offset: number, commands: string[]): Promise<string> {
  const res = await runTool(requireTool('debugfs'), ['-f', '-', `${image}?offset=${offset}`], {
    input: commands.join('\n') + '\n',
    reject: false,
    stripFinalNewline: false,
  });
  if (res.exitCode !== 0 && !res.stdout) {
    throw new BootchainError('DEBUGFS_FAILED', `debugfs could not open the file system at offset ${offset} of ${image}: ${res.stderr.trim()}`, 'check the image with e2fsck -fn "IMG?offset=N"');
  }
  return res.stdout;
}

const quote = (p: string) => `"${p.replace(/(["\\])/g, '\\$1')}"`;
const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/**
 * Maps where every boot-relevant byte of a raw disk image lies: partition table, boot
 * partition, its VBR and the files of its SYSLINUX directory. Works on any image: what it cannot
 * map is explained in `notes`. Throws only when the file is missing or unreadable.
 */
export async function inspectImage(path: string): Promise<DiskMap> {
  const image = resolve(path);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    await access(image, constants.R_OK);
    st = await stat(image);
    if (!st.isFile() && !st.isBlockDevice()) throw new Error('not a file');
  } catch (e) {
    throw new BootchainError('IMAGE_NOT_FOUND', `cannot read disk image ${image}: ${(e as Error).message}`, 'pass the path of a raw disk image (bootchain build writes dist/<name>.img)');
  }
  // A regular file's map is remembered by its identity (device, inode, size, mtime, ctime: any write changes
  // one) and by this code's own version: a suite boots the same built image again and again, and mapping it
  // costs a debugfs run or two each time. Block devices are always read afresh.
  if (!st.isFile()) return inspectUncached(image);
  const key = createHash('sha256').update(`${MAP_CACHE_FORMAT}\0${codeVersion()}\0${image}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`).digest('hex').slice(0, 32);
  const hit = memo.get(key) ?? (await readCachedJson(mapFile(key), isMap));
  if (hit) {
    memo.set(key, hit);
    return structuredClone(hit);
  }
  const map = await inspectUncached(image);
  memo.set(key, structuredClone(map));
  await writeCachedJson(mapFile(key), map);
  return map;
}

const MAP_CACHE_FORMAT = 1;
const memo = new Map<string, DiskMap>();
const mapCacheDir = (): string => join(workspace().cacheDir, 'maps');
let version: string | null = null;
/** This code's version: the file it runs from (the CLI bundle, rebuilt on any source change; or this module). */
function codeVersion(): string {
  if (version === null) {
    try {
      const f = fileURLToPath(import.meta.url);
      const s = statSync(f);
      version = `${f}:${s.size}:${s.mtimeMs}`;
    } catch {
      version = String(Date.now()); // unknown: never reuse another process's answers
    }
  }
  return version;
}

const isMap = (m: unknown): m is DiskMap => !!m && Array.isArray((m as DiskMap).regions) && Array.isArray((m as DiskMap).partitions);
const mapFile = (key: string): string => join(mapCacheDir(), `${key}.json`);

async function inspectUncached(image: string): Promise<DiskMap> {
  // One reader for the partition table, the FAT and the chain detection.
  const reader = openFileReader(image);
  let map: DiskMap;
  try {
    map = await mapImage(image, reader);
    if (map.sizeBytes >= SECTOR) map.chain = detectChain(reader, map);
  } finally {
    reader.close();
  }
  if (map.chain) await addConfigAndKernel(map);
  return map;
}

/** The SYSLINUX config in the map and the kernel its default label boots. */
async function addConfigAndKernel(map: DiskMap): Promise<void> {
  const cfg = map.regions.find((r) => r.kind === 'file' && /\/(extlinux\.conf|syslinux\.cfg|isolinux\.cfg)$/i.test(r.path ?? r.name));
  if (!cfg || !map.chain) return;
  map.chain.config = cfg.path ?? cfg.name;
  try {
    const label = defaultLabel(parseSyslinuxConfig((await readMappedFile(map.image, cfg)).toString('latin1')));
    if (label?.kernel) map.chain.kernel = label.kernel;
  } catch {
    // an unreadable config: the lint says why
  }
}

async function mapImage(image: string, reader: DiskReader): Promise<DiskMap> {
  const map: DiskMap = {
    version: 1, image, sizeBytes: reader.size, sectorSize: 512, partitionTable: 'none',
    partitions: [], bootPartition: null, syslinuxDir: null, regions: [], notes: [],
  };
  let boot: PartitionInfo | undefined;
  let bootFs: ReturnType<typeof detectFs> = { fs: 'unknown' };
  if (reader.size < SECTOR) {
    map.notes.push(`image is ${reader.size} bytes, smaller than one sector`);
    return map;
  }
  const table = parsePartitionTable(reader);
  map.partitionTable = table.kind;
  map.notes.push(...table.notes);
  map.regions.push({ name: 'mbr', kind: 'mbr', ranges: [{ start: 0, end: 512 }] });
  if (table.gpt) {
    const g = table.gpt;
    map.regions.push({ name: 'gpt-header', kind: 'gpt-header', ranges: [{ start: g.lba * SECTOR, end: (g.lba + 1) * SECTOR }] });
    const entryBytes = Math.ceil((g.numEntries * g.entrySize) / SECTOR) * SECTOR;
    map.regions.push({ name: 'gpt-entries', kind: 'gpt-entries', ranges: [{ start: g.entriesLba * SECTOR, end: g.entriesLba * SECTOR + entryBytes }] });
  }
  for (const p of table.partitions) {
    const start = p.firstLba * SECTOR;
    if (p.lastLba < p.firstLba || (p.lastLba + 1) * SECTOR > reader.size) {
      map.notes.push(`partition ${p.number} (sectors ${p.firstLba}–${p.lastLba}) extends beyond the image (${reader.size} bytes)`);
    }
    const info = detectFs(reader.read(start, 2048));
    map.partitions.push({ ...p, fs: info.fs });
    if (!boot && p.legacyBiosBootable) { boot = { ...p, fs: info.fs }; bootFs = info; }
  }
  if (!boot) {
    if (map.partitionTable !== 'none') map.notes.push(map.partitionTable === 'gpt' ? 'no GPT partition has the LegacyBIOSBootable attribute (bit 2): gptmbr.bin prints "Missing OS"' : 'no active MBR partition');
    return map;
  }
  map.bootPartition = boot.number;
  const offset = boot.firstLba * SECTOR;
  if (boot.firstLba === 0) {
    // An isohybrid-style partition that starts at sector 0: its "first sector" is the MBR itself.
    map.notes.push(`boot partition ${boot.number} starts at sector 0 (isohybrid style): no partition boot sector of its own`);
    return map;
  }
  map.regions.push({ name: 'vbr', kind: 'vbr', partition: boot.number, ranges: [{ start: offset, end: offset + SECTOR }] });
  if (bootFs.fs === 'vfat') {
    // SYSLINUX on FAT: the files' byte ranges come from the FAT's own cluster chains.
    const fat = mapFatSyslinuxFiles(reader, offset, boot.number, SYSLINUX_DIRS);
    map.syslinuxDir = fat.dir;
    map.regions.push(...fat.regions);
    map.notes.push(...fat.notes);
    return map;
  }
  if (!bootFs.fs.startsWith('ext') || !bootFs.blockSize) {
    map.notes.push(`boot partition ${boot.number} is ${bootFs.fs}, not ext2/3/4 or FAT: its files are not mapped`);
    return map;
  }
  map.regions.push(...(await mapSyslinuxFiles(image, offset, bootFs.blockSize, boot.number, map)));
  return map;
}

async function mapSyslinuxFiles(image: string, offset: number, blockSize: number, partition: number, map: DiskMap): Promise<Region[]> {
  const listing = splitSections(await runDebugfs(image, offset, SYSLINUX_DIRS.map((d) => `ls -p ${quote(d)}`)));
  let dir: string | null = null;
  let entries: DirEntry[] = [];
  for (const [i, d] of SYSLINUX_DIRS.entries()) {
    const list = parseLsP(listing[i]?.body ?? []);
    if (list.some((e) => e.isFile && e.name === 'ldlinux.sys')) { dir = d; entries = list; break; }
  }
  if (!dir) {
    map.notes.push(`no ldlinux.sys in ${SYSLINUX_DIRS.join(', ')} of partition ${partition}: SYSLINUX is not installed there`);
    return [];
  }
  map.syslinuxDir = dir;
  const files = entries.filter((e) => e.isFile);
  if (files.length === 0) return [];
  const stats = parseStats(await runDebugfs(image, offset, files.map((f) => `stat ${quote(joinPath(dir, f.name))}`)));
  const regions: Region[] = [];
  for (const f of files) {
    const p = joinPath(dir, f.name);
    const s = stats.find((x) => x.path === p);
    if (!s?.found) { map.notes.push(`${p}: debugfs stat failed`); continue; }
    const size = s.size ?? f.size ?? 0;
    if (s.inline) map.notes.push(`${p}: data is inline in the inode, no block ranges`);
    regions.push({ name: p, kind: 'file', partition, path: p, size, ranges: runsToRanges(s.runs, size, blockSize, offset) });
  }
  return regions;
}
