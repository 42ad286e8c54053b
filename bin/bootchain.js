#!/usr/bin/env node
// Entry shim. Runs a one-file bundle of the CLI and its dependencies (.cache/cli/main.mjs), rebuilt with
// esbuild whenever a source under harness/ or package-lock.json is newer: start-up takes ~0.05 s instead
// of ~0.6 s of transpiling every module through tsx. BOOTCHAIN_NO_BUNDLE=1 runs the TypeScript sources through tsx instead.
import { readdirSync, statSync, renameSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, '.cache', 'cli', 'main.mjs');

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
    external: ['tsx', 'tsx/*', 'esbuild'],
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
