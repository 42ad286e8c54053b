import { tempPrefix } from '../leftovers.ts';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import { sha256File } from './file-hash.ts';
import { validateBundleJson, type ReproBundleJson } from './repro-types.ts';
import { gunzipSparse } from '../image/gzip-image.ts';
import { registerCleanup } from '../reaper.ts';

/** An opened bundle. Owns the temp dir a tarball was unpacked into; close() is idempotent. */
export interface OpenedBundle {
  bundle: ReproBundleJson;
  /** The folder holding bundle.json. */
  dir: string;
  close(): Promise<void>;
}

/** Opens `repro/` (or any folder with bundle.json) or a `repro.tar.gz`. */
export async function openReproBundle(path: string): Promise<OpenedBundle> {
  const abs = resolve(path);
  const st = await stat(abs).catch(() => null);
  if (!st) throw new BootchainError('REPRO_BUNDLE_MISSING', `bundle ${path} does not exist`, 'pass the repro/ folder or repro.tar.gz from a failed run\'s artifacts');
  if (st.isDirectory()) return { bundle: await readBundleJson(abs), dir: abs, close: async () => undefined };
  const tmp = await mkdtemp(join(tmpdir(), tempPrefix('repro')));
  let closed: Promise<void> | null = null;
  // Registered with the reaper: Ctrl-C during a rerun must not leave the unpacked bundle behind.
  const unregister = registerCleanup(() => close());
  const close = (): Promise<void> => (closed ??= rm(tmp, { recursive: true, force: true }).finally(unregister));
  try {
    const r = await runTool('tar', ['-xzf', abs, '-C', tmp, '--no-same-owner', '--no-same-permissions'], { reject: false });
    if (r.exitCode !== 0) throw new BootchainError('REPRO_BUNDLE_INVALID', `${path} is not a readable .tar.gz: ${String(r.stderr).split('\n')[0]}`, 'check it with `tar -tzf`');
    const dir = join(tmp, 'repro');
    if (!(await stat(join(dir, 'bundle.json')).catch(() => null)))
      throw new BootchainError('REPRO_BUNDLE_INVALID', `${path} holds no repro/bundle.json`, 'use the repro.tar.gz bootchain wrote next to repro/');
    return { bundle: await readBundleJson(dir), dir, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function readBundleJson(dir: string): Promise<ReproBundleJson> {
  const file = join(dir, 'bundle.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new BootchainError('REPRO_BUNDLE_INVALID', `${dir} has no bundle.json`, 'pass the repro/ folder of a run (or its repro.tar.gz)');
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BootchainError('REPRO_BUNDLE_INVALID', `${file} is not JSON: ${(e as Error).message}`, 'the bundle is damaged; take it again from the run\'s artifacts');
  }
  return validateBundleJson(raw, file);
}

/**
 * The image to rerun: the original path when its sha256 still matches, else the bundled image.img.gz.
 * `verify` checks the raw image a .gz was decompressed into (the caller decompresses it).
 */
export async function locateReproImage(b: OpenedBundle, notes: string[]): Promise<{ input: string; needsVerify: boolean }> {
  const img = b.bundle.image;
  const st = await stat(img.path).catch(() => null);
  if (st?.isFile()) {
    const sha = await sha256File(img.path);
    if (sha === img.sha256) return { input: img.path, needsVerify: false };
    notes.push(`${img.path} has changed since the bundle was written (sha256 ${sha.slice(0, 16)}…, bundle ${img.sha256.slice(0, 16)}…)`);
  } else notes.push(`${img.path} is gone`);
  if (img.bundled) {
    const gz = join(b.dir, img.bundled);
    if (await stat(gz).catch(() => null)) {
      notes.push(`using the image carried in the bundle (${img.bundled})`);
      return { input: gz, needsVerify: true };
    }
  }
  throw new BootchainError(
    'REPRO_IMAGE_MISMATCH',
    `the bundle's image ${img.path} (sha256 ${img.sha256.slice(0, 16)}…) is not available: ${notes[notes.length - 1] ?? 'missing'}`,
    'restore the exact image at that path (rebuild with the same inputs, or copy it back); large images are referenced by hash, not carried',
  );
}

/**
 * Decompresses the bundled image.img.gz into `out` (sparse: 512 MiB images hold ~9 MiB of data)
 * and checks its sha256 against the bundle.
 */
export async function unpackBundledImage(b: ReproBundleJson, gz: string, out: string): Promise<string> {
  try {
    await gunzipSparse(gz, out);
  } catch (e) {
    await rm(out, { force: true });
    throw new BootchainError('REPRO_BUNDLE_INVALID', `the bundled image ${gz} could not be decompressed: ${String((e as { stderr?: string }).stderr ?? (e as Error).message).split('\n')[0]}`, 'the bundle is damaged; take it again from the run\'s artifacts');
  }
  await verifyImageHash(b, out);
  return out;
}

/** Throws when a decompressed bundled image does not hash to the bundle's sha256. */
export async function verifyImageHash(b: ReproBundleJson, raw: string): Promise<void> {
  const sha = await sha256File(raw);
  if (sha !== b.image.sha256)
    throw new BootchainError('REPRO_IMAGE_MISMATCH', `the bundled image decompressed to ${raw} hashes to ${sha.slice(0, 16)}…, the bundle says ${b.image.sha256.slice(0, 16)}…`, 'the bundle is damaged; take it again from the run\'s artifacts');
}
