import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { BootchainError } from '../errors.ts';
import type { RouteDef } from '../network/index.ts';
import { resolveInside } from '../network/index.ts';
import { sha256Buffer, sha256File } from './file-hash.ts';
import type { BundledFile, BundledRoute } from './repro-types.ts';

/** Files up to this size go into bundle.json; larger ones (kernels) are referenced by path + hash. */
export const INLINE_FILE_MAX = 4 * 1024 * 1024;
export const INLINE_TOTAL_MAX = 16 * 1024 * 1024;

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  }
  return out.sort();
}

function isUtf8Text(b: Buffer): boolean {
  if (b.includes(0)) return false;
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/** Served routes with the bytes they served: `file` and `dir` routes get their files inlined (or hashed). */
export async function bundleRoutes(routes: RouteDef[], notes: string[]): Promise<BundledRoute[]> {
  let budget = INLINE_TOTAL_MAX;
  const carry = async (hostPath: string, rel: string): Promise<BundledFile> => {
    const st = await stat(hostPath);
    if (st.size > INLINE_FILE_MAX || st.size > budget) {
      notes.push(`served file ${hostPath} (${st.size} bytes) is referenced by hash, not inlined`);
      return { rel, hostPath, size: st.size, sha256: await sha256File(hostPath) };
    }
    const bytes = await readFile(hostPath);
    budget -= bytes.length;
    const text = isUtf8Text(bytes);
    return { rel, hostPath, size: bytes.length, sha256: sha256Buffer(bytes), encoding: text ? 'utf8' : 'base64', content: bytes.toString(text ? 'utf8' : 'base64') };
  };
  const out: BundledRoute[] = [];
  for (const r of routes) {
    const { file, dir, ...rest } = r;
    if (file !== undefined) {
      const hostPath = resolve(file);
      const exists = await stat(hostPath).then((s) => s.isFile(), () => false);
      if (!exists) notes.push(`served file ${hostPath} no longer exists; route ${r.path} is bundled without it`);
      out.push({ ...rest, source: { kind: 'file', hostPath }, files: exists ? [await carry(hostPath, '')] : [] });
    } else if (dir !== undefined) {
      const hostPath = resolve(dir);
      const files = await listFiles(hostPath).catch(() => []);
      const carried: BundledFile[] = [];
      for (const f of files) carried.push(await carry(f, relative(hostPath, f)));
      out.push({ ...rest, source: { kind: 'dir', hostPath }, files: carried });
    } else out.push({ ...rest });
  }
  return out;
}

async function placeFile(f: BundledFile, dest: string, where: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  if (f.content !== undefined) {
    await writeFile(dest, Buffer.from(f.content, f.encoding === 'base64' ? 'base64' : 'utf8'));
    return;
  }
  const now = await sha256File(f.hostPath).catch(() => null);
  if (now !== f.sha256)
    throw new BootchainError(
      'REPRO_SERVED_FILE_CHANGED',
      `${where}: served file ${f.hostPath} ${now === null ? 'is missing' : 'has changed'} (bundle sha256 ${f.sha256.slice(0, 16)}…)`,
      'put the original file back at that path; files over 4 MiB are not carried inside the bundle',
    );
  await copyFile(f.hostPath, dest);
}

/** Turns bundled routes back into RouteDefs whose files live under `workDir/served/`. */
export async function materializeRoutes(routes: BundledRoute[], workDir: string): Promise<RouteDef[]> {
  const out: RouteDef[] = [];
  for (const [i, r] of routes.entries()) {
    const { source, files, ...rest } = r;
    const where = `route #${i + 1} (${JSON.stringify(r.path)})`;
    if (!source) {
      out.push(rest);
      continue;
    }
    const base = join(workDir, 'served', String(i));
    if (source.kind === 'file') {
      const f = files?.[0];
      if (!f) throw new BootchainError('REPRO_SERVED_FILE_CHANGED', `${where}: the bundle has no content for ${source.hostPath}`, 'the file was missing when the bundle was written');
      const dest = join(base, 'file');
      await placeFile(f, dest, where);
      out.push({ ...rest, file: dest });
    } else {
      await mkdir(base, { recursive: true });
      for (const f of files ?? []) {
        const dest = resolveInside(base, f.rel.split(/[\\/]/).map(encodeURIComponent).join('/'));
        if (!dest) throw new BootchainError('REPRO_BUNDLE_INVALID', `${where}: file ${JSON.stringify(f.rel)} would leave the served folder`, 'the bundle was edited or is damaged');
        await placeFile(f, dest, where);
      }
      out.push({ ...rest, dir: base });
    }
  }
  return out;
}
