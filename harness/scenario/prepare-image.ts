import { statSync, type Stats } from 'node:fs';
import { sha256File } from '../report/file-hash.ts';
import { gunzipSparse } from '../image/gzip-image.ts';
import { access, mkdir, rename, open, rm } from 'node:fs/promises';
import { join, resolve, basename } from 'node:path';
import { runTool } from '../run-tool.ts';
import { sweepTempFiles } from '../leftovers.ts';
import { BootchainError } from '../errors.ts';
import { workspace } from '../project/workspace.ts';
import { inspectImage } from '../image/index.ts';
import { readMappedFile, findFileRegion } from '../image/read-mapped-file.ts';
import { parseSyslinuxConfig, ipxeScriptSource } from '../lint/extlinux-config.ts';
import type { DiskMap } from '../image/types.ts';
import { lintImage, type LintFinding } from '../lint/index.ts';
import type { ImageCorruption } from './define.ts';

export interface PreparedImage {
  /** The raw image QEMU boots (never written by QEMU: it runs in snapshot mode). */
  image: string;
  map: DiskMap | null;
  scriptSource: 'command line' | 'initrd' | null;
  /** How long SYSLINUX's `boot:` prompt may legitimately wait (PROMPT 1 + TIMEOUT), in ms; null = no wait. */
  promptWaitMs: number | null;
  /** Static findings of lint, which runs alongside every boot; empty when the image could not be mapped. */
  lint: Promise<LintResult>;
  notes: string[];
}

export interface LintResult {
  findings: LintFinding[];
  ms: number;
  /** Why lint could not run, when it could not. */
  note?: string;
}



/** A .img.gz is decompressed once into the cache (sparse), keyed by the hash of the compressed file. */
async function decompressed(gz: string): Promise<string> {
  const CACHE_DIR = workspace().cacheDir;
  const out = join(CACHE_DIR, 'images', `${(await sha256File(gz)).slice(0, 24)}-${basename(gz, '.gz')}`);
  try {
    await access(out);
    return out;
  } catch {}
  await mkdir(join(CACHE_DIR, 'images'), { recursive: true });
  sweepTempFiles(join(CACHE_DIR, 'images')); // a decompression killed half-way
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await gunzipSparse(gz, tmp);
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new BootchainError('IMAGE_GZIP_BROKEN', `${gz} could not be decompressed: ${(e as Error).message.split('\n')[0]}`, 'check the file with `gzip -t`; bootchain boots raw images and .img.gz files');
  }
  return out;
}


/** Throws a clear error unless `input` is an existing regular file (a disk image or its .gz). */
export function assertImageFile(input: string): void {
  const st = statSyncOrNull(input);
  if (!st) throw new BootchainError('IMAGE_MISSING', `image ${input} does not exist`, 'build one with `npx bootchain build` or pass the path of a raw/.img.gz disk image');
  if (!st.isFile()) throw new BootchainError('IMAGE_NOT_A_FILE', `image ${input} is a ${st.isDirectory() ? 'directory' : 'special file'}, not a disk image file`, 'pass the path of a raw or .img.gz disk image (e.g. dist/hypersolid-cloud.img)');
  if (st.size < 512) throw new BootchainError('IMAGE_TOO_SMALL', `image ${input} is ${st.size} bytes: smaller than one disk sector, not a disk image`, 'pass a raw disk image (or its .img.gz); build one with `npx bootchain build`');
}

function statSyncOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/** The raw image for an input path: checked, and a .img.gz decompressed once into the cache. */
export async function rawImageFor(input: string): Promise<string> {
  assertImageFile(input);
  const abs = resolve(input);
  return abs.endsWith('.gz') ? decompressed(abs) : abs;
}

/** Resolves the image a boot runs from (raw or .gz), applies scenario damage to a copy, and maps it. */
export async function prepareBootImage(input: string, o: { corrupt?: ImageCorruption[]; workDir: string }): Promise<PreparedImage> {
  const notes: string[] = [];
  let image = await rawImageFor(input);
  let map = await mapOrNull(image, notes);
  if (o.corrupt?.length) {
    if (!map) throw new BootchainError('CORRUPT_NEEDS_MAP', `cannot damage ${input}: it has no disk map`, 'corruptions need an image bootchain can map');
    const copy = join(o.workDir, 'disk.img');
    await runTool('cp', ['--sparse=always', image, copy]);
    for (const c of o.corrupt) await applyCorruption(copy, map, c);
    image = copy;
    map = await mapOrNull(image, notes);
  }
  let scriptSource: PreparedImage['scriptSource'] = null;
  let promptWaitMs: number | null = null;
  if (map) {
    const conf = findFileRegion(map, 'extlinux.conf') ?? findFileRegion(map, 'syslinux.cfg');
    if (conf) {
      const cfg = parseSyslinuxConfig((await readMappedFile(image, conf)).toString('latin1'));
      // TIMEOUT is in tenths of a second; with PROMPT 1 the `boot:` prompt waits that long, by design.
      if (cfg.prompt && cfg.timeout && cfg.timeout > 0) promptWaitMs = cfg.timeout * 100;
      const initrds = new Map<string, boolean>();
      for (const l of cfg.labels) for (const f of l.initrd) {
        const r = findFileRegion(map, f);
        initrds.set(f, r ? (await readMappedFile(image, r)).subarray(0, 6).toString('latin1') === '#!ipxe' : false);
      }
      scriptSource = ipxeScriptSource(cfg, (f) => initrds.get(f) ?? false);
    }
  }
  // Lint runs while the machine boots (it needs only the image and map): both cores work, the boot waits for nothing.
  const lint: Promise<LintResult> = map
    ? lintImage(image, { map }).then(
        (rep) => ({ findings: rep.findings, ms: rep.ms }),
        (e: unknown) => ({ findings: [], ms: 0, note: `lint could not run: ${(e as Error).message}` }),
      )
    : Promise.resolve({ findings: [], ms: 0 });
  return { image, map, scriptSource, promptWaitMs, lint, notes };
}

async function mapOrNull(image: string, notes: string[]): Promise<DiskMap | null> {
  try {
    const map = await inspectImage(image);
    notes.push(...map.notes);
    return map;
  } catch (e) {
    notes.push(`no disk map (${(e as Error).message}); silent stages are judged from the console only`);
    return null;
  }
}

async function patch(image: string, offset: number, bytes: Buffer): Promise<void> {
  const fh = await open(image, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

async function applyCorruption(image: string, map: DiskMap, c: ImageCorruption): Promise<void> {
  const fill = 'fill' in c && c.fill !== undefined ? c.fill : 0;
  const vbr = map.regions.find((r) => r.kind === 'vbr');
  switch (c.region) {
    case 'mbr-code': return patch(image, 0, Buffer.alloc(440, fill));
    case 'mbr-signature': return patch(image, 510, Buffer.alloc(2, fill));
    case 'vbr':
    case 'vbr-signature': {
      if (!vbr) throw new BootchainError('CORRUPT_NO_VBR', 'the image has no boot partition to damage', 'pick another corruption');
      const start = vbr.ranges[0]!.start;
      return c.region === 'vbr' ? patch(image, start, Buffer.alloc(512, fill)) : patch(image, start + 510, Buffer.alloc(2, fill));
    }
    case 'file': {
      const r = map.regions.find((x) => x.kind === 'file' && x.path === c.path);
      if (!r) throw new BootchainError('CORRUPT_NO_FILE', `the image has no file ${c.path} to damage`, `files: ${map.regions.filter((x) => x.kind === 'file').map((x) => x.path).join(', ')}`);
      const off = c.offset ?? 0;
      const len = Math.min(c.length ?? (r.size ?? 0) - off, (r.size ?? 0) - off);
      // Write through the file's own ranges so the damage lands where SYSLINUX reads it.
      let pos = 0;
      for (const rg of r.ranges) {
        const a = Math.max(off, pos), b = Math.min(off + len, pos + (rg.end - rg.start));
        if (b > a) await patch(image, rg.start + (a - pos), Buffer.alloc(b - a, fill));
        pos += rg.end - rg.start;
      }
      return;
    }
    case 'delete-file': {
      const part = map.partitions.find((p) => p.number === map.bootPartition);
      if (!part) throw new BootchainError('CORRUPT_NO_VBR', 'the image has no boot partition', 'pick another corruption');
      await runTool('debugfs', ['-w', '-R', `rm ${c.path}`, `${image}?offset=${part.firstLba * 512}`]);
      return;
    }
    case 'gpt-attribute':
      await runTool('sfdisk', ['--part-attrs', image, String(c.partition), c.legacyBootable ? 'LegacyBIOSBootable' : '']);
      return;
    case 'mbr-active': {
      if (map.partitionTable !== 'mbr') throw new BootchainError('CORRUPT_NOT_MBR', `mbr-active needs a plain MBR partition table; this image's is ${map.partitionTable}`, 'use gpt-attribute on GPT disks');
      // The status byte of each primary entry (offset 446 + 16·i): 0x80 active, 0x00 not.
      for (let i = 1; i <= 4; i++) if (c.partition === undefined || c.partition === i) await patch(image, 446 + 16 * (i - 1), Buffer.from([0]));
      return;
    }
    default:
      throw new BootchainError('CORRUPT_UNKNOWN', `unknown corruption region "${(c as { region: string }).region}"`, 'regions: mbr-code, mbr-signature, vbr, vbr-signature, file, delete-file, gpt-attribute, mbr-active');
  }
}
