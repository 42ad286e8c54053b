// A project of one's own (bootchain.config.ts): init scaffolds it, the CLI finds it from a subfolder, and bad
// input — a config that does not check, a missing folder, a scenario file outside the scenarios folder, debug
// without a terminal, --gdb on a port in use — is a clear error naming the file/field/flag, exit 2, nothing left.
// No QEMU starts here (unit tier); the pack + install + boots are in project-install.e2e.test.ts.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { CLI, ROOT } from './fixtures/cli-run.ts';
import { runOnPty } from '../fixtures/pty.ts';

/** A fresh project with bootchain "installed" (node_modules/bootchain → this checkout), after `bootchain init`. */
async function project(t: Test): Promise<string> {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: 'my-boot', version: '1.0.0' }), node_modules: {} });
  symlinkSync(ROOT, join(dir, 'node_modules', 'bootchain'));
  const r = await cli(dir, ['init']);
  t.equal(r.exitCode, 0, `init: ${r.all}`);
  return dir;
}

const cli = (cwd: string, args: string[], env: Record<string, string> = {}) => execa(process.execPath, [CLI, ...args], { cwd, reject: false, all: true, env: { BOOTCHAIN_ARTIFACTS: '', ...env } });

/** Every file under dir (relative), node_modules left out: what a failed command must not have changed. */
function tree(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.name === 'node_modules' ? [] : e.isDirectory() ? tree(dir, join(rel, e.name)) : [join(rel, e.name)])).sort();
}

t.test('init scaffolds config, scenario, image definition, CI workflow; list finds them from a subfolder', async (t) => {
  const dir = await project(t);
  for (const f of ['bootchain.config.ts', 'boot-tests/example.ts', 'images/example/extlinux/extlinux.conf', 'images/example/ipxe/ipxe.conf', '.github/workflows/bootchain.yml']) t.ok(existsSync(join(dir, f)), `init wrote ${f}`);
  t.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^artifacts\/$/m, '.gitignore keeps artifacts out');
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  const list = await cli(join(dir, 'sub', 'deeper'), ['list']);
  t.equal(list.exitCode, 0, list.all);
  t.match(list.stdout, /^example\s+example: images\/example boots/m, "the project's scenario, found from a subfolder");
  t.notMatch(list.stdout, /chain-404/, "bootchain's own scenarios are not the project's");
  const ex = await cli(dir, ['list', '--examples']);
  t.match(ex.stdout, /^bootchain:external-script\s/m, "bootchain's own are listed as bootchain:NAME");
  const again = await cli(dir, ['init']);
  t.equal(again.exitCode, 2, 'init does not overwrite');
  t.match(again.stderr, /INIT_EXISTS.*bootchain\.config\.ts/);
});

t.test('a config that does not check: the file and field, exit 2, nothing written', async (t) => {
  const dir = await project(t);
  const before = tree(dir);
  const cfg = join(dir, 'bootchain.config.ts');
  const cases: Array<[string, RegExp]> = [
    ["import { defineConfig } from 'bootchain';\nexport default defineConfig({ scenarios: 'boot-tests', jobs: 'two' as unknown as number });\n", /CONFIG_INVALID.*bootchain\.config\.ts: field `jobs` must be a whole number 1\.\.64, got "two"/],
    ["import { defineConfig } from 'bootchain';\nexport default defineConfig({ scenarios: 'tests-that-are-not-there' });\n", /CONFIG_INVALID.*field `scenarios` names .*tests-that-are-not-there, which does not exist/],
    ["import { defineConfig } from 'bootchain';\nexport default defineConfig({ scenarios: 'boot-tests', images: 'imgs' });\n", /CONFIG_INVALID.*field `images` names .*imgs, which does not exist/],
    ["import { defineConfig } from 'bootchain';\nexport default defineConfig({ scenarios: '../elsewhere' });\n", /CONFIG_INVALID.*field `scenarios` \("\.\.\/elsewhere"\) must be a folder inside the project/],
    ["import { defineConfig } from 'bootchain';\nexport default defineConfig({ scenarios: 'boot-tests', scenarioz: 'x' } as never);\n", /CONFIG_INVALID.*field `scenarioz` is not a config field/],
    ["import { defineConfig } from 'bootchain';\nexport default defineConfig({ scenarios: 'boot-tests',, });\n", /CONFIG_BROKEN.*bootchain\.config\.ts failed to load/],
  ];
  for (const [i, [text, want]] of cases.entries()) {
    writeFileSync(cfg, text);
    for (const cmd of i === 0 ? [['list'], ['test'], ['run']] : [['test']]) {
      const r = await cli(dir, cmd);
      t.equal(r.exitCode, 2, `${cmd[0]}: exit 2 — ${r.all}`);
      t.match(r.stderr, want, `${cmd[0]}: names the file and field`);
    }
  }
  t.same(tree(dir), before, 'nothing written (no artifacts, no built images)');
});

t.test('a scenario file outside the scenarios folder, an unknown scenario: the flag, exit 2', async (t) => {
  const dir = await project(t);
  writeFileSync(join(dir, 'stray.ts'), readFileSync(join(dir, 'boot-tests', 'example.ts')));
  const before = tree(dir);
  const out = await cli(dir, ['test', '--scenario', 'stray.ts']);
  t.equal(out.exitCode, 2, out.all);
  t.match(out.stderr, /SCENARIO_OUTSIDE.*--scenario stray\.ts: the file .*stray\.ts is outside the scenarios folder .*boot-tests/);
  t.match(out.stderr, /the `scenarios` field of .*bootchain\.config\.ts/);
  const unknown = await cli(dir, ['test', '--scenario', 'nope']);
  t.equal(unknown.exitCode, 2);
  t.match(unknown.stderr, /unknown scenario "nope"; valid scenarios: example/);
  t.match(unknown.stderr, /bootchain:NAME/, "the hint names bootchain's own examples");
  t.same(tree(dir), before, 'nothing left behind');
});

t.test('debug without a terminal, and --gdb on a port in use: exit 2, nothing started', async (t) => {
  const dir = await project(t);
  const before = tree(dir);
  const r = await cli(dir, ['debug', 'example']);
  t.equal(r.exitCode, 2, r.all);
  t.match(r.stderr, /DEBUG_NO_TTY.*debug needs a terminal: standard input is not a TTY/);
  const busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
  t.teardown(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const p = await runOnPty([process.execPath, CLI, 'debug', 'example', '--gdb', String(port)], [{ wait: 'GDB_PORT_IN_USE', timeout: 30 }], { cwd: dir });
  t.equal(p.exit, 2, p.output);
  t.match(p.output, new RegExp(`GDB_PORT_IN_USE.*--gdb ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
  const wait = await runOnPty([process.execPath, CLI, 'debug', 'example', '--gdb-wait'], [{ wait: 'USAGE', timeout: 30 }], { cwd: dir });
  t.equal(wait.exit, 2, wait.output);
  t.match(wait.output, /--gdb-wait needs --gdb \[PORT\]/);
  t.same(tree(dir), before, 'nothing left behind (no artifacts folder)');
});

t.test('a "type": "module" project loads the same config and scenarios (ESM instead of CommonJS)', async (t) => {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: 'my-esm-boot', version: '1.0.0', type: 'module' }), node_modules: {} });
  symlinkSync(ROOT, join(dir, 'node_modules', 'bootchain'));
  t.equal((await cli(dir, ['init'])).exitCode, 0);
  const list = await cli(dir, ['list']);
  t.equal(list.exitCode, 0, list.all);
  t.match(list.stdout, /^example\s+example: images\/example boots/m);
});
