import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { computeCacheKey, derivedGuid } from './cache-key.ts';
import { gzipImage } from './gzip-image.ts';
import { requireTool } from './host-tools.ts';
import { loadImage, type LoadedImage } from './image-def.ts';
import { isMbrChain, planPartitions, SECTOR, type PartitionPlan } from './layout.ts';
import { LoopMount } from './loop-mount.ts';
import { withOutputLock } from './build-lock.ts';
import { selfCheck, type CheckResult } from './self-check.ts';
import { TempOutputs } from './temp-outputs.ts';
import type { DiskMap, ImageLayout } from './types.ts';
import { writeGpt } from './write-gpt.ts';
import { writeMbrTable } from './write-mbr.ts';
import { installSyslinuxFat, mkfsFat, syslinuxDirFor } from './build-fat.ts';
import { buildGrubPartition, installGrubFiles, makeGrubBootCode, writeGrubBootCode, type GrubBootCode } from './build-grub.ts';
import { buildExtlinuxPartition } from './build-extlinux.ts';
import { buildEpoch } from './build-epoch.ts';
import { e2fsEnv, makeExtFs } from './populate-ext.ts';
import { checkOutputDir } from './output-dir.ts';
import { projectRoot } from '../project-root.ts';
import { sha256File } from '../report/file-hash.ts';

/** The seed's image; only it gets dist/boot.img.gz by default. */
export const DEFAULT_IMAGE = 'hypersolid-cloud';

export interface BuildOptions {
  name: string;
  imagesDir?: string;
  distDir?: string;
  noCache?: boolean;
  /** Force (true) or skip (false) the .gz; default: only for the default image. */
  gzip?: boolean;
  /** Extra/replaced files: path in the image definition ("ipxe/ipxe.conf") → absolute host path or content. */
  overlay?: Record<string, string>;
  /** Output base name (default: name). */
  outName?: string;
  /**
   * `rootless` (default): no root, no loop device, no mount; reproducible byte for byte.
   * `loop`: loop-mounts the boot partition and runs the real `extlinux --install` (root only).
   */
  builder?: Builder;
}

export type Builder = 'rootless' | 'loop';
export const BUILDERS: readonly Builder[] = ['rootless', 'loop'];

export interface BuildResult {
  name: string;
  imagePath: string;
  mapPath: string;
  gzPath?: string;
  /** sha256 of the raw image (also in `<image>.sha256`), and of the .gz when one was made. */
  sha256: string;
  gzSha256?: string;
  builder: Builder;
  cached: boolean;
  layout: ImageLayout;
  map: DiskMap;
  ms: number;
  /** Self-check results of this build (empty on a cache hit: they passed when it was built). */
  checks: CheckResult[];
  notices: string[];
}

const BUILD_TOOLS: Record<ImageLayout['chain'], string[]> = {
  'gpt-extlinux': ['sfdisk', 'mke2fs', 'extlinux', 'mount', 'e2fsck', 'debugfs', 'gptmbr.bin'],
  'mbr-extlinux': ['sfdisk', 'mke2fs', 'extlinux', 'mount', 'e2fsck', 'debugfs', 'mbr.bin'],
  'mbr-syslinux-fat': ['sfdisk', 'mke2fs', 'e2fsck', 'mkfs.fat', 'fsck.fat', 'syslinux', 'mmd', 'mcopy', 'mbr.bin'],
  'grub-bios': ['sfdisk', 'mke2fs', 'mount', 'e2fsck', 'debugfs', 'grub-mkimage', 'grub-i386-pc'],
};

/** Tools of the rootless builder: no extlinux run (its templates are read out of the binary), no mount. */
const ROOTLESS_TOOLS: Record<ImageLayout['chain'], string[]> = {
  'gpt-extlinux': ['sfdisk', 'mke2fs', 'extlinux', 'e2fsck', 'debugfs', 'gptmbr.bin'],
  'mbr-extlinux': ['sfdisk', 'mke2fs', 'extlinux', 'e2fsck', 'debugfs', 'mbr.bin'],
  'mbr-syslinux-fat': BUILD_TOOLS['mbr-syslinux-fat'],
  'grub-bios': ['sfdisk', 'mke2fs', 'e2fsck', 'debugfs', 'grub-mkimage', 'grub-i386-pc'],
};

/** Chains whose loop-builder install step needs a kernel mount of the boot partition (so root). */
const needsMount = (chain: ImageLayout['chain'], builder: Builder) => builder === 'loop' && chain !== 'mbr-syslinux-fat';

async function mke2fs(image: string, fs: string, label: string, uuid: string, lba: number, sectors: number, epoch: number): Promise<void> {
  // Fixed UUID + hash seed from the cache key: the same inputs give the same fs ids.
  const args = ['-q', '-F', '-t', fs, '-L', label.slice(0, 16), '-U', uuid, '-E', `offset=${lba * SECTOR},hash_seed=${uuid},root_owner=0:0`, image, `${Math.floor(sectors / 2)}k`];
  const r = await runTool(requireTool('mke2fs'), args, { reject: false, all: true, env: e2fsEnv(epoch) });
  if (r.exitCode !== 0) throw new BootchainError('MKFS_FAILED', `mke2fs ${fs} at sector ${lba} of ${image} failed: ${(r.all ?? '').trim()}`, `command: mke2fs ${args.join(' ')}`);
}

async function installFiles(image: string, plan: PartitionPlan, img: LoadedImage, log: (l: string) => void): Promise<void> {
  const mnt = await LoopMount.open(image, plan.boot.firstLba * SECTOR, plan.boot.sectors * SECTOR);
  try {
    const dir = join(mnt.dir, 'extlinux');
    await mkdir(dir);
    const r = await runTool(requireTool('extlinux'), ['--install', dir], { reject: false, all: true });
    if (r.exitCode !== 0) throw new BootchainError('EXTLINUX_FAILED', `extlinux --install failed on partition 1 of ${image}: ${(r.all ?? '').trim()}`, 'check that the boot partition is ext2/3/4');
    log(`  extlinux --install /extlinux: ok`);
    for (const f of img.files) {
      const dest = join(dir, f.dest);
      await mkdir(dirname(dest), { recursive: true });
      try {
        await writeFile(dest, f.bytes);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
          throw new BootchainError('FILES_TOO_LARGE', `${f.origin} (${f.bytes.length} B) does not fit in the ${img.layout.bootMiB} MiB boot partition (with ldlinux.sys, ldlinux.c32 and the other files)`, `raise layout.bootMiB in ${img.name}/image.ts or shrink the files`);
        }
        throw e;
      }
    }
  } finally {
    await mnt.close();
  }
}

/** A `sha256sum`-format line (checkable with `sha256sum -c` from the file's folder). */
const sha256Line = (hash: string, file: string): string => `${hash}  ${basename(file)}\n`;

async function readCache(keyPath: string, key: string, outputs: string[]): Promise<boolean> {
  try {
    return (await readFile(keyPath, 'utf8')).trim() === key && outputs.every((p) => existsSync(p));
  } catch {
    return false;
  }
}

/** Cache hit without the .gz yet: compress the cached image (no rebuild, no root needed). */
async function gzipCached(imagePath: string, gzPath: string, distDir: string, outName: string, log: (l: string) => void): Promise<void> {
  const out = new TempOutputs(distDir, outName);
  try {
    const tmp = out.path('.img.gz');
    const tool = await gzipImage(imagePath, tmp);
    const tmpSha = out.path('.img.gz.sha256');
    await writeFile(tmpSha, sha256Line(await sha256File(tmp), gzPath));
    await out.commit([[tmp, gzPath], [tmpSha, `${gzPath}.sha256`]]);
    log(`  ${tool}: compressed the cached image`);
  } finally {
    await out.close();
  }
}

/**
 * Builds `images/<name>` into `dist/<outName>.img` (+ `.map.json`, + `boot.img.gz` for the default
 * image) with the seed's layout, self-checks it, and caches by a hash of all inputs.
 */
export async function buildImage(opts: BuildOptions, log: (line: string) => void = () => {}): Promise<BuildResult> {
  // Another process building the same output (a CI shard, a parallel run) finishes first; then this is a cache hit.
  const out = resolve(opts.distDir ?? 'dist', `${opts.outName ?? opts.name}.img`);
  return withOutputLock(out, () => buildImageLocked(opts, log));
}

async function buildImageLocked(opts: BuildOptions, log: (line: string) => void): Promise<BuildResult> {
  const t0 = performance.now();
  // The images/ folder of the current directory (a user's own project), else the one shipped with bootchain.
  const imagesDir = opts.imagesDir ?? (existsSync('images') ? 'images' : join(projectRoot(), 'images'));
  const distDir = opts.distDir ?? 'dist';
  const outName = opts.outName ?? opts.name;
  if (!/^[A-Za-z0-9._-]+$/.test(outName) || outName.startsWith('.')) {
    throw new BootchainError('BAD_OUT_NAME', `output name \`${outName}\` must be letters, digits, ".", "_" or "-"`, 'pass a plain file name as outName');
  }
  const img = await loadImage(opts.name, imagesDir, opts.overlay ?? {});
  for (const n of img.notices) log(n);
  const plan = planPartitions(img.layout);
  const isDefault = opts.name === DEFAULT_IMAGE && opts.outName === undefined;
  const wantGz = opts.gzip ?? isDefault;
  const imagePath = resolve(distDir, `${outName}.img`);
  const mapPath = resolve(distDir, `${outName}.map.json`);
  const keyPath = resolve(distDir, `${outName}.cache-key`);
  const gzPath = wantGz ? resolve(distDir, isDefault ? 'boot.img.gz' : `${outName}.img.gz`) : undefined;
  const shaPath = `${imagePath}.sha256`;
  const gzShaPath = gzPath ? `${gzPath}.sha256` : undefined;
  const builder = opts.builder ?? 'rootless';
  if (!BUILDERS.includes(builder)) throw new BootchainError('BAD_BUILDER', `unknown builder \`${String(builder)}\``, `use one of ${BUILDERS.join(', ')}`);
  const epoch = buildEpoch();
  const chain = img.layout.chain;
  const key = await computeCacheKey(img, { builder, epoch });
  const base = { name: outName, imagePath, mapPath, layout: img.layout, notices: img.notices, builder, ...(gzPath ? { gzPath } : {}) };

  if (!opts.noCache && (await readCache(keyPath, key, [imagePath, mapPath, shaPath]))) {
    if (gzPath && !(existsSync(gzPath) && existsSync(gzShaPath!))) await gzipCached(imagePath, gzPath, distDir, outName, log);
    const map = JSON.parse(await readFile(mapPath, 'utf8')) as DiskMap;
    const sha256 = (await readFile(shaPath, 'utf8')).split(' ')[0]!;
    const gzSha256 = gzShaPath ? (await readFile(gzShaPath, 'utf8')).split(' ')[0]! : undefined;
    return { ...base, cached: true, map, checks: [], sha256, ...(gzSha256 ? { gzSha256 } : {}), ms: performance.now() - t0 };
  }
  if (needsMount(chain, builder) && process.getuid?.() !== 0) {
    throw new BootchainError('NEED_ROOT', `building ${opts.name} with --builder loop needs root: \`extlinux --install\` only works on a mounted file system, and mounting the boot partition of the image file needs a loop mount`, `drop --builder loop (the default rootless builder needs no root), or run as root`);
  }
  for (const t of builder === 'loop' ? BUILD_TOOLS[chain] : ROOTLESS_TOOLS[chain]) requireTool(t);
  await checkOutputDir(distDir);
  const out = new TempOutputs(distDir, outName);
  try {
    const tmpImg = out.path('.img');
    const fh = await open(tmpImg, 'w');
    await fh.truncate(plan.diskSectors * SECTOR);
    await fh.close();
    let mbrCode: Buffer;
    if (isMbrChain(chain)) {
      // A stable 32-bit disk id from the cache key (the DOS label's counterpart of the GPT disk GUID).
      await writeMbrTable(tmpImg, img.layout, plan, parseInt(derivedGuid(key, 'disk').slice(0, 8), 16));
      log(`  MBR partition table written (sfdisk, label dos, p1 active) and read back`);
    } else {
      await writeGpt(tmpImg, img.layout, plan, { disk: derivedGuid(key, 'disk'), boot: derivedGuid(key, 'p1'), conf: derivedGuid(key, 'p2') });
      log(`  GPT written (sfdisk) and read back`);
    }
    let grub: GrubBootCode | undefined;
    if (chain === 'grub-bios') {
      grub = await makeGrubBootCode();
      await writeGrubBootCode(tmpImg, grub);
      mbrCode = grub.bootCode;
      log(`  grub-mkimage: core.img ${grub.core.length} B → LBA 1–${Math.ceil(grub.core.length / SECTOR)}; boot.img (kernel sector 1) → MBR (first 440 bytes)`);
    } else {
      const codeFile = chain === 'gpt-extlinux' ? 'gptmbr.bin' : 'mbr.bin';
      mbrCode = await readFile(requireTool(codeFile));
      const mfh = await open(tmpImg, 'r+');
      await mfh.write(mbrCode.subarray(0, 440), 0, Math.min(440, mbrCode.length), 0);
      await mfh.close();
      log(`  ${codeFile} → MBR (first 440 bytes)`);
    }
    const fsUuid1 = derivedGuid(key, 'fs1');
    const conf = makeExtFs({ image: tmpImg, fs: img.layout.confFs, label: img.layout.confName, uuid: derivedGuid(key, 'fs2'), firstLba: plan.conf.firstLba, sectors: plan.conf.sectors, epoch, files: [], what: 'the conf partition' });
    if (img.layout.bootFs === 'vfat') {
      await Promise.all([mkfsFat(tmpImg, img.layout.bootName, parseInt(fsUuid1.slice(0, 8), 16), plan.boot.firstLba, plan.boot.sectors), conf]);
      log(`  mkfs.fat: p1 vfat; mke2fs: p2 ${img.layout.confFs}`);
      await installSyslinuxFat(tmpImg, plan, img, log, epoch);
    } else if (builder === 'rootless') {
      const part = { image: tmpImg, plan, img, uuid: fsUuid1, epoch, log };
      await Promise.all([chain === 'grub-bios' ? buildGrubPartition(part) : buildExtlinuxPartition(part), conf]);
      log(`  mke2fs: p2 ${img.layout.confFs}`);
    } else {
      await Promise.all([mke2fs(tmpImg, img.layout.bootFs, img.layout.bootName, fsUuid1, plan.boot.firstLba, plan.boot.sectors, epoch), conf]);
      log(`  mke2fs: p1 ${img.layout.bootFs}; mke2fs: p2 ${img.layout.confFs}`);
      if (chain === 'grub-bios') await installGrubFiles(tmpImg, plan, img, log);
      else await installFiles(tmpImg, plan, img, log);
    }
    // The image bytes are final here: hash them while the self-check (e2fsck, debugfs: other processes) reads.
    const hashing = sha256File(tmpImg);
    hashing.catch(() => {});
    const { checks, map } = await selfCheck({ image: tmpImg, layout: img.layout, plan, files: img.files, mbrCode, syslinuxDir: syslinuxDirFor(chain), ...(grub ? { grubCore: grub.core } : {}) });
    map.image = imagePath;
    const tmpMap = out.path('.map.json');
    await writeFile(tmpMap, JSON.stringify(map, null, 2) + '\n');
    const pairs: Array<[string, string]> = [[tmpImg, imagePath], [tmpMap, mapPath]];
    const tmpSha = out.path('.img.sha256');
    let gzSha256: string | undefined;
    if (gzPath) {
      const tg = performance.now();
      const tmpGz = out.path('.img.gz');
      const tool = await gzipImage(tmpImg, tmpGz);
      gzSha256 = await sha256File(tmpGz);
      log(`  ${tool}: ${Math.round(performance.now() - tg)} ms`);
      const tmpGzSha = out.path('.img.gz.sha256');
      await writeFile(tmpGzSha, sha256Line(gzSha256, gzPath));
      pairs.push([tmpGz, gzPath], [tmpGzSha, gzShaPath!]);
    }
    const sha256 = await hashing;
    await writeFile(tmpSha, sha256Line(sha256, imagePath));
    pairs.push([tmpSha, shaPath]);
    await rm(keyPath, { force: true });
    await out.commit(pairs);
    const tmpKey = out.path('.cache-key');
    await writeFile(tmpKey, key + '\n');
    await out.commit([[tmpKey, keyPath]]);
    return { ...base, cached: false, map, checks, sha256, ...(gzSha256 ? { gzSha256 } : {}), ms: performance.now() - t0 };
  } finally {
    await out.close();
  }
}

