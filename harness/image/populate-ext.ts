import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, open, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { BootchainError } from '../errors.ts';
import { tempPrefix } from '../leftovers.ts';
import { runTool } from '../run-tool.ts';
import { parseStats, runsToRanges } from './debugfs-output.ts';
import { detectFs } from './fs-detect.ts';
import { requireTool } from './host-tools.ts';
import { runDebugfs } from './inspect-image.ts';
import { openFileReader } from './partition-table.ts';
import { guardSignals } from './signal-guard.ts';
import type { ByteRange } from './types.ts';

const SECTOR = 512;
/** The smallest ext block size: a zero block of any size is made of zero 1 KiB chunks. */
const MIN_BLOCK = 1024;
/** EXT2_IMMUTABLE_FL: what extlinux sets on ldlinux.sys (chattr +i) when run as root. */
export const IMMUTABLE_FL = 0x10;

/** One file to put into an ext file system, with everything that lands in its inode spelled out. */
export interface FsFile {
  /** Absolute path inside the file system ("/extlinux/ipxe.lkrn"). */
  path: string;
  bytes: Buffer;
  /** Permission bits (0o644, 0o444). */
  mode: number;
  /** Where the bytes came from, for messages. */
  origin: string;
  /** Inode flags to set (IMMUTABLE_FL). */
  flags?: number;
}

export interface ExtFsSpec {
  image: string;
  fs: 'ext2' | 'ext3' | 'ext4';
  label: string;
  /** File system UUID, also the directory hash seed. */
  uuid: string;
  firstLba: number;
  sectors: number;
  /** Seconds since 1970 for every timestamp (superblock, inodes). */
  epoch: number;
  files: FsFile[];
  /** What the partition is for, in messages ("the 10 MiB boot partition"). */
  what: string;
  /** Hint when the files do not fit. */
  tooLargeHint?: string;
}

/** Environment for e2fsprogs: its clock is the build's epoch, and no user config changes its output. */
export const e2fsEnv = (epoch: number): Record<string, string> => ({ E2FSPROGS_FAKE_TIME: String(epoch), E2FSCK_CONFIG: '/dev/null' });

/**
 * The file's bytes as staged for `mke2fs -d`: mke2fs leaves a hole for every all-zero block, and SYSLINUX
 * (like `extlinux --install`, which writes every block) must find real blocks. A zero 1 KiB chunk gets a
 * marker byte; after mke2fs the file's real bytes are written over its blocks. Null when no chunk is zero.
 */
function stagedBytes(bytes: Buffer): Buffer | null {
  let copy: Buffer | null = null;
  for (let at = 0; at < bytes.length; at += MIN_BLOCK) {
    const chunk = bytes.subarray(at, at + MIN_BLOCK);
    if (chunk.every((b) => b === 0)) {
      copy ??= Buffer.from(bytes);
      copy[at] = 0xff;
    }
  }
  return copy;
}

const quote = (p: string): string => `"${p.replace(/(["\\])/g, '\\$1')}"`;

/** The directories that hold `paths`, parents first ("/", "/boot", "/boot/grub"). */
function parentDirs(paths: string[]): string[] {
  const dirs = new Set<string>(['/']);
  for (const p of paths) for (let d = posix.dirname(p); d !== '/'; d = posix.dirname(d)) dirs.add(d);
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** Writes `bytes` over `ranges` of `image` (the file's blocks, in file order). */
export async function writeRanges(image: string, ranges: ByteRange[], bytes: Buffer): Promise<void> {
  const fh = await open(image, 'r+');
  try {
    let at = 0;
    for (const r of ranges) {
      const n = r.end - r.start;
      await fh.write(bytes, at, n, r.start);
      at += n;
    }
    if (at !== bytes.length) throw new BootchainError('POPULATE_FAILED', `${image}: the mapped blocks hold ${at} bytes, the file has ${bytes.length}`, 'report this with the e2fsprogs version (mke2fs -V)');
  } finally {
    await fh.close();
  }
}

/** Disk byte ranges (in file order) of files of the ext fs at `firstLba`, through debugfs `stat`. */
export async function mapExtFiles(image: string, firstLba: number, paths: string[]): Promise<Map<string, ByteRange[]>> {
  const offset = firstLba * SECTOR;
  const reader = openFileReader(image);
  let blockSize: number;
  try {
    blockSize = detectFs(reader.read(offset, 2048)).blockSize ?? 0;
  } finally {
    reader.close();
  }
  if (!blockSize) throw new BootchainError('POPULATE_FAILED', `no ext file system at sector ${firstLba} of ${image}`, 'mke2fs did not write one');
  const stats = parseStats(await runDebugfs(image, offset, paths.map((p) => `stat ${quote(p)}`)));
  const out = new Map<string, ByteRange[]>();
  for (const p of paths) {
    const s = stats.find((x) => x.path === p);
    if (!s?.found || s.size === undefined) throw new BootchainError('POPULATE_FAILED', `${p} is missing from the file system at sector ${firstLba} of ${image} after mke2fs -d`, 'report this with the e2fsprogs version (mke2fs -V)');
    out.set(p, runsToRanges(s.runs, s.size, blockSize, offset));
  }
  return out;
}

/**
 * Makes an ext2/3/4 file system on sectors [firstLba, firstLba+sectors) of `image` holding `files`, without
 * a mount: `mke2fs -d` from a staging directory, then one debugfs pass that sets every inode's owner (0:0),
 * times (the epoch) and flags, so nothing of the user, umask, clock or host directory lands in the image.
 */
export async function makeExtFs(spec: ExtFsSpec): Promise<void> {
  const env = e2fsEnv(spec.epoch);
  // Synchronous create + guard: no moment where the folder exists and a signal would not remove it.
  const stage = mkdtempSync(join(tmpdir(), tempPrefix('stage')));
  const release = guardSignals(() => rmSync(stage, { recursive: true, force: true }));
  try {
    const fixups: FsFile[] = [];
    const dirs = parentDirs(spec.files.map((f) => f.path));
    for (const d of dirs) await mkdir(join(stage, d), { recursive: true });
    for (const f of spec.files) {
      const staged = stagedBytes(f.bytes);
      if (staged) fixups.push(f);
      const host = join(stage, f.path);
      await writeFile(host, staged ?? f.bytes);
      await chmod(host, f.mode);
      await utimes(host, spec.epoch, spec.epoch);
    }
    // Deepest first: setting a directory's times must come after its entries were created.
    for (const d of [...dirs].reverse()) {
      await chmod(join(stage, d), 0o755);
      await utimes(join(stage, d), spec.epoch, spec.epoch);
    }
    const args = ['-q', '-F', '-t', spec.fs, '-L', spec.label.slice(0, 16), '-U', spec.uuid, '-E', `offset=${spec.firstLba * SECTOR},hash_seed=${spec.uuid},root_owner=0:0`, ...(spec.files.length ? ['-d', stage] : []), spec.image, `${Math.floor(spec.sectors / 2)}k`];
    const r = await runTool(requireTool('mke2fs'), args, { reject: false, all: true, env });
    const text = (r.all ?? '').trim();
    if (r.exitCode !== 0) {
      if (/Could not allocate block|No space left|Could not allocate inode|no free space/i.test(text)) {
        const name = /while (?:writing file|populating file system|creating [^"]*)\s*"([^"]+)"/.exec(text)?.[1];
        const f = spec.files.find((x) => posix.basename(x.path) === name);
        const total = spec.files.reduce((n, x) => n + x.bytes.length, 0);
        const who = f ? `${f.origin} (${f.bytes.length} B)` : 'the files';
        const largest = [...spec.files].sort((a, b) => b.bytes.length - a.bytes.length)[0]!;
        throw new BootchainError('FILES_TOO_LARGE', `${who} does not fit in ${spec.what}: ${total} B of files in all (largest: ${largest.origin}, ${largest.bytes.length} B), plus the file system's own blocks (mke2fs -d: ${text.split('\n').at(-1)})`, spec.tooLargeHint ?? 'raise layout.bootMiB in the image definition or shrink the files');
      }
      throw new BootchainError('MKFS_FAILED', `mke2fs ${spec.fs} at sector ${spec.firstLba} of ${spec.image} failed: ${text}`, `command: mke2fs ${args.join(' ')}`);
    }
    if (!spec.files.length) return;
    const cmds: string[] = [];
    for (const p of [...dirs, '/lost+found', ...spec.files.map((f) => f.path)]) {
      for (const field of ['uid', 'gid']) cmds.push(`sif ${quote(p)} ${field} 0`);
      for (const field of ['atime', 'mtime', 'ctime']) cmds.push(`sif ${quote(p)} ${field} @${spec.epoch}`);
    }
    for (const f of spec.files) if (f.flags) cmds.push(`sif ${quote(f.path)} flags 0x${f.flags.toString(16)}`);
    const w = await runTool(requireTool('debugfs'), ['-w', '-f', '-', `${spec.image}?offset=${spec.firstLba * SECTOR}`], { input: cmds.join('\n') + '\n', reject: false, all: true, env });
    // debugfs exits 0 even when a command fails: its complaints are the lines that are not echoed commands.
    const complaints = (w.stderr ?? '').split('\n').filter((l) => l.trim() && !/^debugfs \d/.test(l));
    if (w.exitCode !== 0 || complaints.length) throw new BootchainError('POPULATE_FAILED', `debugfs could not set owners/times in ${spec.what} of ${spec.image}: ${complaints.slice(0, 5).join(' | ') || w.stderr}`, 'report this with the e2fsprogs version (debugfs -V)');
    if (fixups.length) {
      const maps = await mapExtFiles(spec.image, spec.firstLba, fixups.map((f) => f.path));
      for (const f of fixups) await writeRanges(spec.image, maps.get(f.path)!, f.bytes);
    }
  } finally {
    // Remove, then release the guard: a signal in between finds nothing left to do.
    rmSync(stage, { recursive: true, force: true });
    release();
  }
}
