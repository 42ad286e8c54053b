/** Parsers for debugfs text output (`stat` and `ls -p`), run as one process with a command file. */

/** A run of file blocks: `count` blocks from logical block `logical` at physical block `physical`. */
export interface BlockRun {
  logical: number;
  physical: number;
  count: number;
}

export interface StatResult {
  path: string;
  found: boolean;
  type?: string;
  size?: number;
  /** Data block runs in logical order; indirect/extent-tree blocks are excluded. */
  runs: BlockRun[];
  /** Set when data lives in the inode (inline data / fast symlink), so it has no block ranges. */
  inline?: boolean;
}

export interface DirEntry {
  inode: number;
  mode: number;
  name: string;
  size: number | null;
  isDir: boolean;
  isFile: boolean;
}

/** Splits debugfs stdout into per-command sections keyed by the echoed "debugfs: CMD" lines. */
export function splitSections(out: string): Array<{ command: string; body: string[] }> {
  const sections: Array<{ command: string; body: string[] }> = [];
  for (const line of out.split('\n')) {
    const m = /^debugfs: (.*)$/.exec(line);
    if (m) sections.push({ command: m[1]!.trim(), body: [] });
    else sections.at(-1)?.body.push(line);
  }
  return sections;
}

/** Parses the BLOCKS:/EXTENTS: list of one `stat` ("(0-11):8721-8732, (IND):8557, (12):9000"). */
export function parseBlockList(text: string): BlockRun[] {
  const runs: BlockRun[] = [];
  for (const item of text.split(/,\s*/)) {
    const m = /^\((\d+)(?:-(\d+))?\)(?:\[u\])?:(\d+)(?:-(\d+))?/.exec(item.trim());
    if (!m) continue; // (IND)/(DIND)/(TIND)/(ETBn): metadata, not file data
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    runs.push({ logical: lo, physical: Number(m[3]), count: hi - lo + 1 });
  }
  return runs.sort((a, b) => a.logical - b.logical);
}

/** Parses one `stat PATH` section body. */
export function parseStat(path: string, body: string[]): StatResult {
  const text = body.join('\n');
  if (!/^Inode: \d+/m.test(text)) return { path, found: false, runs: [] };
  const type = /Type: (\S+)/.exec(text)?.[1];
  const size = /^User:.*?\bSize: (\d+)/m.exec(text)?.[1] ?? /\bSize: (\d+)/.exec(text)?.[1];
  const list: string[] = [];
  let inList = false;
  for (const line of body) {
    if (/^(BLOCKS|EXTENTS):\s*$/.test(line)) { inList = true; continue; }
    if (inList) {
      if (line.trim() === '' || /^TOTAL:/.test(line)) { inList = false; continue; }
      list.push(line.trim());
    }
  }
  const res: StatResult = { path, found: true, runs: parseBlockList(list.join(', ')) };
  if (type) res.type = type;
  if (size) res.size = Number(size);
  if (/Size of inline data:|Fast link dest:/.test(text)) res.inline = true;
  return res;
}

/** Parses every `stat` section of a debugfs run. */
export function parseStats(out: string): StatResult[] {
  return splitSections(out)
    .filter((s) => s.command.startsWith('stat '))
    .map((s) => parseStat(s.command.slice(5).trim().replace(/^"(.*)"$/, '$1'), s.body));
}

/** Parses `ls -p DIR` lines: /inode/mode/uid/gid/name/size/. */
export function parseLsP(body: string[]): DirEntry[] {
  const out: DirEntry[] = [];
  for (const line of body) {
    const m = /^\/(\d+)\/([0-7]+)\/\d+\/\d+\/(.*)\/(\d*)\/$/.exec(line.trim());
    if (!m) continue;
    const name = m[3]!;
    if (name === '.' || name === '..') continue;
    const mode = parseInt(m[2]!, 8);
    const fmt = mode & 0o170000;
    out.push({ inode: Number(m[1]), mode, name, size: m[4] ? Number(m[4]) : null, isDir: fmt === 0o040000, isFile: fmt === 0o100000 });
  }
  return out;
}

/** Absolute disk byte ranges of a file's data, in file order, clipped to its size; adjacent runs merged. */
export function runsToRanges(runs: BlockRun[], size: number, blockSize: number, partitionOffset: number): Array<{ start: number; end: number }> {
  const ranges: Array<{ start: number; end: number }> = [];
  let logicalEnd = -1;
  for (const r of runs) {
    const fileStart = r.logical * blockSize;
    if (fileStart >= size) break;
    const len = Math.min(r.count * blockSize, size - fileStart);
    const start = partitionOffset + r.physical * blockSize;
    const last = ranges.at(-1);
    // Merge only when contiguous both on disk and in the file (a hole must stay a break).
    if (last && last.end === start && logicalEnd === r.logical) last.end = start + len;
    else ranges.push({ start, end: start + len });
    logicalEnd = r.logical + r.count;
  }
  return ranges;
}
