import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BootchainError } from '../errors.ts';
import { checkBzImage } from './bzimage.ts';
import { importTs } from '../import-ts.ts';
import { DEBIAN_IPXE_LKRN, requireTool } from './host-tools.ts';
import { resolveLayout } from './layout.ts';
import type { ImageDefinition, ImageLayout } from './types.ts';

/** One file that goes into the SYSLINUX directory of the boot partition. */
export interface ImageFile {
  /** Path relative to /extlinux, POSIX separators ("extlinux.conf", "ipxe.lkrn"). */
  dest: string;
  /** Where it came from, for messages ("images/x/ipxe/ipxe.conf", "overlay ipxe/ipxe.conf"). */
  origin: string;
  bytes: Buffer;
}

export interface LoadedImage {
  name: string;
  dir: string;
  description: string | undefined;
  layout: ImageLayout;
  files: ImageFile[];
  /** Things the user should see in the build output (e.g. Debian's ipxe.lkrn was used). */
  notices: string[];
}

/** Files extlinux --install writes itself; an image must not bring its own. */
const RESERVED = new Set(['ldlinux.sys', 'ldlinux.c32']);
const SOURCE_DIRS = ['extlinux', 'ipxe', 'grub'] as const;
/** An image definition is a directory with one of these (SYSLINUX chains: extlinux/; GRUB: grub/). */
const MARKER_DIRS = ['extlinux', 'grub'];

/** Names of the image definitions in `imagesDir` (directories holding extlinux/). */
export async function listImages(imagesDir: string): Promise<string[]> {
  try {
    const ents = await readdir(imagesDir, { withFileTypes: true });
    return ents.filter((e) => e.isDirectory() && MARKER_DIRS.some((m) => existsSync(join(imagesDir, e.name, m)))).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * Files under `dir` (relative POSIX paths, sorted). A symlink is followed only when it points inside the image
 * definition `root`: a link out of it would put host files in the image that no one reviewing the folder sees.
 * Devices, FIFOs and sockets are refused.
 */
async function walk(dir: string, root: string, label: string, base = dir, seen = new Set<string>()): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const real = await realpath(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const rootReal = await realpath(root);
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue; // .gitkeep and friends are not image files
    const p = join(dir, e.name);
    const shown = join(label, relative(root, p));
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(p);
      } catch {
        throw new BootchainError('BAD_IMAGE_FILE', `${shown} is a symlink to ${await readlink(p)}, which does not exist`, `remove ${shown} or fix its target`);
      }
      if (target !== rootReal && !target.startsWith(rootReal + sep)) {
        throw new BootchainError('SYMLINK_OUTSIDE', `${shown} is a symlink to ${target}, outside the image definition ${label}: refused`, `copy the file into ${label} instead of linking to it`);
      }
      const st = await stat(p);
      isDir = st.isDirectory();
      isFile = st.isFile();
    }
    if (isDir) out.push(...(await walk(p, root, label, base, seen)));
    else if (isFile) out.push(relative(base, p).split('\\').join('/'));
    else throw new BootchainError('BAD_IMAGE_FILE', `${shown} is not a regular file (a device, FIFO or socket): refused`, `remove ${shown}; an image holds regular files only`);
  }
  return out.sort();
}

/** Reads one input file; an unreadable file is a clear error naming it. */
async function readInput(path: string, shown: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BootchainError('INPUT_UNREADABLE', `cannot read ${shown}: ${code === 'EACCES' || code === 'EPERM' ? `permission denied (uid ${process.getuid?.() ?? '?'})` : (e as Error).message}`, `make ${shown} readable by this user, or remove it`);
  }
}

/**
 * Overlay value: a host path when it is an absolute path to an existing file, else file content.
 * Keys are paths inside the image definition: "extlinux/extlinux.conf", "ipxe/ipxe.conf".
 */
async function overlayBytes(key: string, value: string): Promise<Buffer> {
  if (isAbsolute(value) && !value.includes('\n') && existsSync(value)) return readInput(value, `${value} (overlay ${key})`);
  return Buffer.from(value, 'utf8');
}

function checkOverlayKey(key: string): { dir: string; rel: string } {
  const norm = posix.normalize(key);
  const [dir, ...rest] = norm.split('/');
  const rel = rest.join('/');
  if (!(SOURCE_DIRS as readonly string[]).includes(dir ?? '') || !rel || norm.startsWith('..') || posix.isAbsolute(norm)) {
    throw new BootchainError('BAD_OVERLAY', `overlay key \`${key}\` must be a file path under extlinux/, ipxe/ or grub/`, 'e.g. { "ipxe/ipxe.conf": "#!ipxe\\n…" } or { "extlinux/extlinux.conf": "/abs/host/path" }');
  }
  return { dir: dir!, rel };
}

async function loadDefinition(dir: string, label: string): Promise<ImageDefinition> {
  const file = join(dir, 'image.ts');
  if (!existsSync(file)) return {};
  let mod: { default?: unknown };
  try {
    mod = await importTs(resolve(file));
  } catch (e) {
    throw new BootchainError('BAD_IMAGE_DEF', `${label}/image.ts could not be loaded: ${(e as Error).message}`, 'it must `export default defineImage({...})`', { cause: e });
  }
  if (!mod.default || typeof mod.default !== 'object') {
    throw new BootchainError('BAD_IMAGE_DEF', `${label}/image.ts has no default export object`, 'add `export default defineImage({ layout: {...} })`');
  }
  return mod.default as ImageDefinition;
}

/** Loads and validates `imagesDir/name` (+ overlay): layout, file list, iPXE kernel. */
export async function loadImage(name: string, imagesDir: string, overlay: Record<string, string> = {}): Promise<LoadedImage> {
  const dir = resolve(imagesDir, name);
  const label = join(imagesDir, name);
  if (!/^[A-Za-z0-9._-]+$/.test(name) || !MARKER_DIRS.some((m) => existsSync(join(dir, m)))) {
    const names = await listImages(imagesDir);
    const why = existsSync(dir) ? `has no extlinux/ (or grub/) directory` : 'does not exist';
    throw new BootchainError('IMAGE_NOT_FOUND', `image definition ${label} ${why}`, names.length ? `available images in ${imagesDir}: ${names.join(', ')}` : `no image definitions in ${imagesDir} (each is a directory with extlinux/ and ipxe/)`);
  }
  const def = await loadDefinition(dir, label);
  const layout = resolveLayout(def.layout, `${label}/image.ts layout`);
  const files = new Map<string, ImageFile>();
  const add = (f: ImageFile) => {
    const base = f.dest.split('/').pop()!;
    if (RESERVED.has(f.dest)) throw new BootchainError('BAD_IMAGE_FILE', `${f.origin}: ${base} is written by \`extlinux --install\` and cannot be supplied`, `remove ${f.origin}`);
    const prev = files.get(f.dest);
    if (prev && !f.origin.startsWith('overlay')) throw new BootchainError('BAD_IMAGE_FILE', `${f.origin} and ${prev.origin} both go to /extlinux/${f.dest}`, 'remove one of them');
    files.set(f.dest, f);
  };
  for (const sub of SOURCE_DIRS) {
    // grub/ files keep their folder: they go to /boot/grub, next to ipxe/'s files in /boot.
    for (const rel of await walk(join(dir, sub), dir, label)) add({ dest: sub === 'grub' ? `grub/${rel}` : rel, origin: `${label}/${sub}/${rel}`, bytes: await readInput(join(dir, sub, rel), `${label}/${sub}/${rel}`) });
  }
  for (const [key, value] of Object.entries(overlay)) {
    const { dir: sub, rel } = checkOverlayKey(key);
    add({ dest: sub === 'grub' ? `grub/${rel}` : rel, origin: `overlay ${key}`, bytes: await overlayBytes(key, value) });
  }
  if (layout.chain === 'grub-bios') {
    if (!files.has('grub/grub.cfg')) {
      throw new BootchainError('NO_GRUB_CFG', `${label}/grub/grub.cfg is missing`, 'GRUB would stop at its `grub> ` prompt; add grub/grub.cfg (e.g. menuentry ipxe { linux16 /boot/ipxe.lkrn })');
    }
  } else if ([...files.keys()].some((k) => k.startsWith('grub/'))) {
    throw new BootchainError('BAD_IMAGE_FILE', `${label}: grub/ files need layout.chain 'grub-bios' (this image's chain is ${layout.chain})`, 'remove grub/ or set chain: \'grub-bios\' in image.ts');
  } else if (!files.has('extlinux.conf')) {
    throw new BootchainError('NO_EXTLINUX_CONF', `${label}/extlinux/extlinux.conf is missing`, 'SYSLINUX would print "WARNING: No configuration file found"; add extlinux/extlinux.conf (e.g. DEFAULT ipxe / LABEL ipxe / LINUX ipxe.lkrn)');
  }
  const notices: string[] = [];
  const lkrn = files.get('ipxe.lkrn');
  if (lkrn) {
    checkBzImage(lkrn.bytes, lkrn.origin);
  } else {
    const debian = requireTool('ipxe.lkrn');
    files.set('ipxe.lkrn', { dest: 'ipxe.lkrn', origin: DEBIAN_IPXE_LKRN, bytes: await readInput(debian, debian) });
    notices.push(`notice: ${label}/ipxe/ipxe.lkrn not supplied; using Debian's ${DEBIAN_IPXE_LKRN} (no embedded script, no HTTPS)`);
  }
  const total = [...files.values()].reduce((n, f) => n + f.bytes.length, 0);
  const capacity = layout.bootMiB * 1024 * 1024;
  if (total > capacity) {
    const biggest = [...files.values()].sort((a, b) => b.bytes.length - a.bytes.length).slice(0, 3).map((f) => `${f.origin} (${f.bytes.length} B)`).join(', ');
    throw new BootchainError('FILES_TOO_LARGE', `${label}: files total ${total} bytes, more than the ${layout.bootMiB} MiB boot partition (largest: ${biggest})`, `raise layout.bootMiB in ${label}/image.ts or remove files`);
  }
  return { name, dir, description: def.description, layout, files: [...files.values()].sort((a, b) => a.dest.localeCompare(b.dest)), notices };
}
