#!/usr/bin/env node
// `npm pack` (prepack): declarations of bootchain's public entry (harness/index.ts) into types/, so a project
// that installs bootchain type-checks its config and scenarios against .d.ts files (its own tsconfig need not
// allow importing .ts files, nor check bootchain's sources). Relative specifiers become .js (→ the .d.ts).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'types');
rmSync(out, { recursive: true, force: true });
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // A git-URL install packs without devDependencies: the package works, only its declarations are missing.
  console.error('types: typescript is not installed, no declarations written (editors then see no types for bootchain)');
  process.exit(0);
}
execFileSync(process.execPath, [tsc, 'harness/index.ts', 'harness/define.ts', '--declaration', '--emitDeclarationOnly', '--outDir', 'types', '--rootDir', '.',
  '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess',
  '--verbatimModuleSyntax', '--allowImportingTsExtensions', '--rewriteRelativeImportExtensions', '--resolveJsonModule', '--skipLibCheck', '--types', 'node'], { cwd: root, stdio: 'inherit' });
const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
for (const f of walk(out)) {
  if (!f.endsWith('.d.ts')) continue;
  writeFileSync(f, readFileSync(f, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
}
console.error(`types: ${walk(out).length} declaration files in ${out}`);
