#!/usr/bin/env node
// Entry shim. Runs a one-file bundle of the CLI and its dependencies, rebuilt with esbuild whenever a source
// under harness/ or package-lock.json is newer: start-up takes ~0.05 s instead of ~0.6 s of transpiling every
// module through tsx. The bundle lives in the user's cache ($XDG_CACHE_HOME/bootchain/cli/<hash of this
// package's folder>/main.mjs), never in the package (an installed package may be read-only); when no cache
// folder can be written, or with BOOTCHAIN_NO_BUNDLE=1, the TypeScript sources run through tsx instead.
import { readdirSync, readFileSync, statSync, renameSync, mkdirSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The bundled CLI runs from the cache folder: it finds scenarios/, images/ and the namespace holder through this.
process.env.BOOTCHAIN_PACKAGE_ROOT = root;
const xdg = process.env.XDG_CACHE_HOME?.startsWith('/') ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
// Keyed by the folder and its package.json: npm stamps packed files 1985, so an upgrade in place shows in package.json, not in mtimes.
const key = createHash('sha256').update(root).update(readFileSync(join(root, 'package.json'))).digest('hex').slice(0, 16);
const bundle = join(xdg, 'bootchain', 'cli', key, 'main.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when an up-to-date bundle is in place; false when it cannot be written (read-only checkout, other user). */
function mtimeOr0(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

async function ensureBundle() {
  let built = 0;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {}
  if (built > Math.max(newestSource(join(root, 'harness')), mtimeOr0(join(root, 'package-lock.json')))) return true;
  // Unique temp name + rename: parallel CLI processes (tests) never see a half-written bundle.
  const tmp = `${bundle}.${process.pid}.tmp.mjs`;
  try {
    const { build } = await import('esbuild');
    mkdirSync(dirname(bundle), { recursive: true });
    await build({
    entryPoints: [join(root, 'harness', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies are bundled too (importing execa's ~50 files alone costs ~130 ms; the bundle loads in
    // ~40 ms); tsx (registered for user .ts files) and esbuild (native) stay external.
    // They are imported by absolute URL: the bundle sits outside the package, where bare names would not resolve.
    plugins: [{ name: 'package-externals', setup(b) { b.onResolve({ filter: /^(tsx|esbuild)(\/.*)?$/ }, (a) => ({ path: import.meta.resolve(a.path), external: true })); } }],
    banner: { js: "import { createRequire as __bootchainRequire } from 'node:module'; const require = __bootchainRequire(import.meta.url);" },
    outfile: tmp,
    logLevel: 'silent',
  });
    renameSync(tmp, bundle);
    return true;
  } catch {
    try { unlinkSync(tmp); } catch {}
    return false;
  }
}

// `bootchain list | head`: a closed pipe is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

let main;
if (process.env.BOOTCHAIN_NO_BUNDLE || !(await ensureBundle())) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../harness/cli/main.ts'));
} else {
  process.env.BOOTCHAIN_BUNDLED = '1';
  ({ main } = await import(pathToFileURL(bundle).href));
}
process.exitCode = await main(process.argv.slice(2));
