import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { importTs } from '../../harness/import-ts.ts';
import { ROOT } from './fixtures/cli-run.ts';

/**
 * A throwaway ESM project under /tmp (no node_modules above it unless the test makes one). ESM: under tap this
 * process already runs tsx's loader, so the fallback is a plain import (CommonJS projects: project-install e2e).
 */
function project(t: Test, opts: { nodeModules: boolean }): string {
  const dir = mkdtempSync(join(tmpdir(), 'import-ts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, type: 'module' }));
  if (opts.nodeModules) {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'bootchain'));
  }
  return dir;
}
const cached = (dir: string) => {
  try {
    return readdirSync(join(dir, 'node_modules', '.cache', 'bootchain-ts')).filter((f) => f.endsWith('.mjs'));
  } catch {
    return [];
  }
};

t.test('a scenario file is compiled once into node_modules/.cache and recompiled when a file it imports changes', async (t) => {
  const dir = project(t, { nodeModules: true });
  writeFileSync(join(dir, 'helper.ts'), 'export const answer: number = 41;\n');
  writeFileSync(join(dir, 's.ts'), "import { defineScenario } from 'bootchain/define';\nimport { answer } from './helper.ts';\nexport default defineScenario({ description: `v${answer}`, image: 'x' } as never);\n");
  const a = (await importTs(join(dir, 's.ts'))).default as { description: string };
  t.equal(a.description, 'v41');
  t.equal(cached(dir).length, 1, 'compiled into the cache');
  writeFileSync(join(dir, 'helper.ts'), 'export const answer: number = 42;\n');
  utimesSync(join(dir, 'helper.ts'), new Date(), new Date(Date.now() + 5000));
  const b = (await importTs(join(dir, 's.ts'))).default as { description: string };
  t.equal(b.description, 'v42', 'the edited helper is seen (not the stale compiled copy)');
});

t.test('code that depends on its own location runs in place (through tsx), not from the cache', async (t) => {
  const dir = project(t, { nodeModules: true });
  writeFileSync(join(dir, 'where.ts'), 'export default { url: import.meta.url as string };\n');
  const m = (await importTs(join(dir, 'where.ts'))).default as { url: string };
  t.match(m.url, `${dir}/where.ts`, 'import.meta.url is the file\'s own');
  t.same(cached(dir), [], 'nothing compiled for it');
});

t.test('without node_modules above the file, and with BOOTCHAIN_TS_LOADER=tsx, tsx imports it', async (t) => {
  const dir = project(t, { nodeModules: false });
  writeFileSync(join(dir, 'plain.ts'), 'const n: number = 7;\nexport default { n };\n');
  t.same((await importTs(join(dir, 'plain.ts'))).default, { n: 7 });
  const dir2 = project(t, { nodeModules: true });
  writeFileSync(join(dir2, 'plain.ts'), 'const n: number = 8;\nexport default { n };\n');
  process.env['BOOTCHAIN_TS_LOADER'] = 'tsx';
  t.teardown(() => delete process.env['BOOTCHAIN_TS_LOADER']);
  t.same((await importTs(join(dir2, 'plain.ts'))).default, { n: 8 });
  t.same(cached(dir2), [], 'the compiled path was not used');
});

t.test('a file that does not compile is reported by tsx, in its words, naming the file', async (t) => {
  const dir = project(t, { nodeModules: true });
  writeFileSync(join(dir, 'broken.ts'), 'export default {\n');
  await t.rejects(importTs(join(dir, 'broken.ts')), /broken\.ts/);
  t.same(cached(dir), []);
});
