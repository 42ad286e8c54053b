import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

let tsLoader: Promise<void> | null = null;

/** Whether the nearest package.json above `file` says `"type": "module"`. */
function inEsmPackage(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/**
 * Imports a user's TypeScript file (config, scenario, image definition). First from a compiled copy (see
 * importCompiled: no TypeScript loader to start, ~0.6 s of CPU saved per command); where that cannot serve,
 * through tsx: in an ESM package (bootchain's own, a `"type": "module"` project) a plain import through tsx's
 * loader, registered once (the bundled CLI starts without it); elsewhere (a fresh `npm init` project is
 * CommonJS) tsx's `tsImport` compiles the file as CommonJS in a namespace of its own. The default export comes
 * back as `default` either way. BOOTCHAIN_TS_LOADER=tsx always uses tsx.
 */
export async function importTs(file: string): Promise<{ default?: unknown }> {
  if (process.env['BOOTCHAIN_TS_LOADER'] !== 'tsx') {
    const compiled = await importCompiled(file);
    if (compiled) return compiled;
  }
  if (inEsmPackage(file)) {
    if (process.env['BOOTCHAIN_BUNDLED'] === '1') {
      tsLoader ??= import('tsx/esm/api').then((m) => void m.register());
      await tsLoader;
    }
    return (await import(pathToFileURL(file).href)) as { default?: unknown };
  }
  const { tsImport } = await import('tsx/esm/api');
  const mod = (await tsImport(file, import.meta.url)) as { default?: unknown };
  // module.exports arrives as `default`, with the file's own default export inside it.
  const d = mod.default;
  if (d !== null && typeof d === 'object' && 'default' in d) return { default: (d as { default: unknown }).default };
  return mod;
}

interface CompiledMeta {
  source: string;
  inputs: Array<{ path: string; size: number; mtimeMs: number }>;
}

/** Bumped when the compiled form changes. */
const COMPILE_VERSION = 1;
/** Code whose meaning depends on where the module file lives: left to tsx, which runs it in place. */
const PLACE_BOUND_RE = /\b__dirname\b|\b__filename\b|\brequire\s*\(|\bimport\.meta\b/;

/**
 * The file and the local files it imports, bundled by esbuild into one ES module kept under the nearest
 * node_modules/.cache/bootchain-ts (so its package imports resolve as the file's own would), reused while
 * every input keeps its size and mtime. null when it cannot serve: no node_modules above the file, code that
 * depends on its own location, a compile error (tsx then reports it in its words), an unwritable cache, a
 * failed import.
 */
async function importCompiled(file: string): Promise<{ default?: unknown } | null> {
  const cacheDir = compiledCacheDir(file);
  if (!cacheDir) return null;
  const key = createHash('sha256').update(`${COMPILE_VERSION}\0${file}`).digest('hex').slice(0, 20);
  const out = join(cacheDir, `${key}.mjs`);
  const metaFile = join(cacheDir, `${key}.json`);
  let meta: CompiledMeta | null = null;
  try {
    meta = JSON.parse(await readFile(metaFile, 'utf8')) as CompiledMeta;
  } catch {
    meta = null;
  }
  if (!meta || meta.source !== file || !meta.inputs.every(unchanged) || !existsSync(out)) {
    meta = await compile(file, out, metaFile);
    if (!meta) return null;
  }
  const version = createHash('sha256').update(JSON.stringify(meta.inputs)).digest('hex').slice(0, 12);
  try {
    return (await import(`${pathToFileURL(out).href}?v=${version}`)) as { default?: unknown };
  } catch {
    return null; // e.g. a package it imports is TypeScript too: tsx runs it (and reports a real error in place)
  }
}

function unchanged(i: { path: string; size: number; mtimeMs: number }): boolean {
  try {
    const st = statSync(i.path);
    return st.size === i.size && st.mtimeMs === i.mtimeMs;
  } catch {
    return false;
  }
}

function compiledCacheDir(file: string): string | null {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const nm = join(dir, 'node_modules');
    if (existsSync(nm)) return join(nm, '.cache', 'bootchain-ts');
    if (dirname(dir) === dir) return null;
  }
}

const PACKAGES_EXTERNAL: import('esbuild').Plugin = {
  name: 'packages-external',
  setup(b) {
    // bootchain's own entries are TypeScript (Node cannot import them without a loader): bundled, like local files.
    b.onResolve({ filter: /^[^./]/ }, (a) => (/^bootchain(\/|$)/.test(a.path) ? undefined : { path: a.path, external: true }));
  },
};

async function compile(file: string, out: string, metaFile: string): Promise<CompiledMeta | null> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  let result: import('esbuild').BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      outfile: out,
      // Local files are bundled; packages stay imports, resolved from node_modules as the file's own would be.
      plugins: [PACKAGES_EXTERNAL],
    });
  } catch {
    return null;
  }
  const inputs: CompiledMeta['inputs'] = [];
  for (const rel of Object.keys(result.metafile.inputs)) {
    const p = rel.startsWith('/') ? rel : join(process.cwd(), rel);
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch {
      return null;
    }
    if (PLACE_BOUND_RE.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))) return null;
    const st = statSync(p);
    inputs.push({ path: p, size: st.size, mtimeMs: st.mtimeMs });
  }
  const code = result.outputFiles[0]?.text;
  if (code === undefined) return null;
  const meta: CompiledMeta = { source: file, inputs };
  try {
    await mkdir(dirname(out), { recursive: true });
    const tmp = `.tmp-${process.pid}-${Date.now().toString(36)}`;
    await writeFile(out + tmp, code);
    await rename(out + tmp, out);
    await writeFile(metaFile + tmp, JSON.stringify(meta));
    await rename(metaFile + tmp, metaFile);
  } catch {
    return null;
  }
  return meta;
}
