// bootchain used from another repository, as the README's "Use bootchain in your own repository" says: pack
// it, `npm install --save-dev` the tarball into a fresh project, `npx bootchain init`, `npx bootchain doctor`,
// `npx bootchain test` (TAP, green), a scenario of that project booting a .img.gz built there by the seed's
// own commands (served ipxe1.example.org from a stub host), one of bootchain's own examples (bootchain:NAME),
// and `npx bootchain debug` driven through a pseudo-terminal (type at `boot:`, gdb at the first instruction,
// Ctrl-] leaves) leaving nothing running. The installed package's folder is never written.
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { parse } from 'yaml';
import { isRoot, makeTemp, rmTemp, ROOT } from './fixtures/cli-run.ts';
import { buildSeedRecipeImage, SEED_EXTERNAL_CONF } from './fixtures/seed-recipe.ts';
import { runOnPty } from '../fixtures/pty.ts';
import { describeLeftovers, isClean, probeLeftovers } from '../fixtures/leftovers.ts';

const work = makeTemp('project-install');
t.teardown(rmTemp(work));
const proj = join(work, 'my-boot-project');
const pkg = join(proj, 'node_modules', 'bootchain');
const npx = (args: string[], env: Record<string, string> = {}) => execa('npx', ['--no-install', 'bootchain', ...args], { cwd: proj, reject: false, all: true, env, timeout: 600_000 });

/** Every file (with size and mtime) under a folder: the installed package must be left exactly as installed. */
function snapshot(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = join(rel, e.name);
    if (e.isDirectory()) return snapshot(dir, p);
    const st = statSync(join(dir, p));
    return [`${p} ${st.size} ${st.mtimeMs}`];
  }).sort();
}

const freePort = async (): Promise<number> => {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', () => ok()));
  const port = (s.address() as { port: number }).port;
  await new Promise((ok) => s.close(ok));
  return port;
};

t.test('npm pack, then npm install --save-dev the tarball in a fresh project', async (t) => {
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT });
  const packed = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = packed[0]!.files.map((f) => f.path);
  t.ok(files.includes('types/harness/index.d.ts'), 'with the declarations of the public entry (prepack)');
  t.ok(files.includes('bin/bootchain.js') && files.includes('harness/cli/main.ts') && files.includes('scenarios/external-script.ts') && files.includes('images/hypersolid-cloud/extlinux/extlinux.conf'), 'the tarball ships the CLI, its sources, the example scenarios and images');
  t.same(files.filter((f) => f.startsWith('test/') || f.includes('fixtures') || f === 'bin/run-tests.js'), [], 'no tests or fixtures in the tarball');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'my-boot-project', version: '1.0.0', private: true }, null, 2));
  // The local npm cache serves what it holds; the registry (reachable here and in CI) the rest.
  const inst = await execa('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed[0]!.filename)], { cwd: proj, reject: false, all: true });
  t.equal(inst.exitCode, 0, inst.all);
  t.match(JSON.parse(readFileSync(join(proj, 'package.json'), 'utf8')), { devDependencies: { bootchain: /bootchain-0\.1\.0\.tgz$/ } }, 'a dev dependency of the project');
});

t.test('init, doctor, test: the project\'s scenario boots green under TAP; the package folder stays untouched', async (t) => {
  const before = snapshot(pkg);
  const init = await npx(['init']);
  t.equal(init.exitCode, 0, init.all);
  t.match(init.stdout, /wrote bootchain\.config\.ts[\s\S]*wrote boot-tests\/example\.ts[\s\S]*wrote \.github\/workflows\/bootchain\.yml/);
  // Typed: the project's config and scenario type-check against the declarations the tarball ships (types/), and a wrong field does not.
  writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true }, include: ['bootchain.config.ts', 'boot-tests/**/*.ts'] }));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const typed = await execa(process.execPath, [tsc, '-p', '.'], { cwd: proj, reject: false, all: true });
  t.equal(typed.exitCode, 0, `tsc: ${typed.all}`);
  const cfg = readFileSync(join(proj, 'bootchain.config.ts'), 'utf8');
  writeFileSync(join(proj, 'bootchain.config.ts'), cfg.replace('jobs: 2', "jobs: 'two'"));
  const untyped = await execa(process.execPath, [tsc, '-p', '.'], { cwd: proj, reject: false, all: true });
  t.match(untyped.stdout, /bootchain\.config\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/, 'a wrong field type is a type error in the config');
  writeFileSync(join(proj, 'bootchain.config.ts'), cfg);
  const doctor = await npx(['doctor']);
  t.equal(doctor.exitCode, 0, doctor.all);
  t.match(doctor.stdout, /a boot can run here/);
  // extlinux hidden from PATH: building the project's image needs it, so no boot can run; the fix names the package.
  const bin = join(work, 'bin-without-extlinux');
  mkdirSync(bin);
  for (const f of readdirSync('/usr/bin')) if (f !== 'extlinux') symlinkSync(join('/usr/bin', f), join(bin, f));
  const hidden = await execa(process.execPath, [join(pkg, 'bin', 'bootchain.js'), 'doctor'], { cwd: proj, reject: false, all: true, env: { PATH: `${bin}:/usr/local/bin` } });
  t.equal(hidden.exitCode, 1, hidden.all);
  t.match(hidden.stdout, /FAIL\s+extlinux\s+missing\n\s+fix: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends extlinux\n/);
  t.match(hidden.stdout, /no boot can run here: extlinux missing/);

  const run = await npx(['test']);
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, /^TAP version 14\n# Subtest: scenario example\n/);
  t.match(run.stdout, /^    ok \d+ - stage chained passed$/m, "the scenario's own stage (the chained config ran)");
  t.match(run.stdout, /^ok 1 - scenario example # time=\d+ms\n1\.\.1$/m, 'the plan closes the stream');
  t.match(run.stderr, /artifacts: .*my-boot-project\/artifacts\//, "artifacts in the project's folder");
  t.same(snapshot(pkg), before, 'nothing written inside node_modules/bootchain (bundle, caches, artifacts live elsewhere)');
});

t.test("a scenario of the project boots dist/boot.img.gz built there with the seed's own commands", { skip: !isRoot && 'needs root (the seed build loop-mounts the boot partition for extlinux --install)' }, async (t) => {
  const ipxeConf = '#!ipxe\n\necho booting LINUX from iPXE\n\n# try to get an IP via dhcp\ndhcp\nchain http://ipxe1.example.org/myconfig.ipxe?serial=${serial}\n';
  mkdirSync(join(proj, 'build'));
  mkdirSync(join(proj, 'dist'));
  // truncate, sgdisk, gptmbr.bin dd, mke2fs/mkfs.ext4, mount, extlinux --install, copy the files; then gzip.
  const img = await buildSeedRecipeImage(join(proj, 'build'), 'disk.img', { 'extlinux.conf': SEED_EXTERNAL_CONF, 'ipxe.conf': ipxeConf });
  await execa('sh', ['-c', 'gzip -c "$1" > dist/boot.img.gz', 'gzip', img], { cwd: proj });
  writeFileSync(
    join(proj, 'boot-tests', 'seed-image.ts'),
    `import { defineScenario } from 'bootchain';

export default defineScenario({
  description: 'dist/boot.img.gz from the seed recipe: chains http://ipxe1.example.org/myconfig.ipxe?serial=\${serial}',
  image: { file: 'dist/boot.img.gz' },
  machine: { smbiosSerial: 'SEED-0001' },
  hosts: { 'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', template: '#!ipxe\\necho seed image chained for \${query.serial}\\n', contentType: 'text/plain' }] } },
  stages: [{ id: 'chained', title: 'the chained config ran', console: 'seed image chained for SEED-0001' }],
  expect: { pass: 'chained' },
  ledger: [{ method: 'GET', host: 'ipxe1.example.org', path: '/myconfig.ipxe', query: { serial: '\${serial}' } }],
});
`,
  );
  const junit = join(proj, 'bootchain-junit.xml');
  const r = await npx(['test', '--scenario', 'seed-image', '--reporter', 'junit', '--reporter-file', junit]);
  t.equal(r.exitCode, 0, r.all);
  const xml = readFileSync(junit, 'utf8');
  t.match(xml, /<testsuites name="bootchain" tests="1" failures="0" errors="0"/);
  t.match(xml, /<testcase classname="bootchain" name="seed-image"[\s\S]*name="stage.chained" value="passed/);
  t.match(r.stderr, /chain\s+ok\s+.*GET \/myconfig\.ipxe\?serial=SEED-0001/, 'the ledger shows the chained request with the serial');
});

t.test("bootchain's own scenarios stay runnable from the project as bootchain:NAME", async (t) => {
  const r = await npx(['test', '--scenario', 'bootchain:mbr-syslinux-fat']);
  t.equal(r.exitCode, 0, r.all);
  t.match(r.stdout, /^ok 1 - scenario bootchain:mbr-syslinux-fat/m);
});

t.test("the CI workflow init wrote: its run steps, in order, in the project (as the runner would)", { skip: !isRoot && 'the workflow runs as root' }, async (t) => {
  const wf = parse(readFileSync(join(proj, '.github', 'workflows', 'bootchain.yml'), 'utf8')) as { jobs: { boot: { container: { image: string; options: string }; steps: Array<{ run?: string; uses?: string; with?: { path?: string } }> } } };
  const job = wf.jobs.boot;
  t.match(job.container, { image: 'node:20-bookworm', options: '--privileged' }, 'Debian 12 with Node 20, privileged (loop mounts, namespaces)');
  const runs = job.steps.flatMap((s) => (s.run ? [s.run] : []));
  t.same(runs, ['npm ci', 'npx bootchain doctor --fix', 'npx bootchain test --reporter junit --reporter-file bootchain-junit.xml']);
  t.match(job.steps.at(-1), { uses: 'actions/upload-artifact@v4', with: { path: /bootchain-junit\.xml\nartifacts\// } }, 'the JUnit file and the artifacts are kept');
  for (const cmd of runs) {
    const r = await execa('sh', ['-c', cmd], { cwd: proj, reject: false, all: true, timeout: 600_000 });
    t.equal(r.exitCode, 0, `${cmd}: ${r.all?.slice(-3000)}`);
  }
  const xml = readFileSync(join(proj, 'bootchain-junit.xml'), 'utf8');
  t.match(xml, /<testsuites name="bootchain" tests="2" failures="0" errors="0"/, 'green: both scenarios of the project (example, seed-image)');
});

t.test('debug on a pseudo-terminal: type at boot:, gdb at the first instruction, --pause-at, Ctrl-] leaves nothing running', async (t) => {
  // An image whose SYSLINUX waits at `boot:` for ever (PROMPT 1, TIMEOUT 0): only typed keys get it further.
  mkdirSync(join(proj, 'images', 'prompt', 'extlinux'), { recursive: true });
  writeFileSync(join(proj, 'images', 'prompt', 'extlinux', 'extlinux.conf'), 'PROMPT 1\nTIMEOUT 0\nDEFAULT other\nLABEL ipxe\n  LINUX ipxe.lkrn\n');
  writeFileSync(
    join(proj, 'boot-tests', 'prompt.ts'),
    `import { defineScenario } from 'bootchain';\nexport default defineScenario({ description: 'waits at boot: for a label', image: 'prompt', machine: { bootfile: '/boot.ipxe' }, routes: [{ path: '/boot.ipxe', template: '#!ipxe\\necho typed-and-chained \${marker}\\nsleep 3\\necho still-running-after-the-verdict\\n', contentType: 'text/plain' }], expect: { pass: 'chain' } });\n`,
  );
  const bc = [process.execPath, join(pkg, 'bin', 'bootchain.js')];
  const typed = await runOnPty([...bc, 'debug', 'prompt'], [{ wait: 'boot:', timeout: 120 }, { sleep: 0.3 }, { send: 'ipxe\r' }, { wait: 'the ladder is done', timeout: 120 }, { wait: 'still-running-after-the-verdict', timeout: 60 }, { send: '\x1d' }], { cwd: proj });
  t.equal(typed.failed_wait, null, `every step happened:\n${typed.output.slice(-3000)}`);
  t.equal(typed.exit, 0, typed.output.slice(-3000));
  t.match(typed.output, /boot: ipxe/, 'the typed label reached SYSLINUX (echoed on the console)');
  // The chained script prints, sleeps 3 s (debug runs in real time), prints again: the second line comes after
  // the verdict however late the harness saw the request (the stub's events can lag the console under load).
  t.match(typed.output, /typed-and-chained BOOTCHAIN-MARKER-prompt/, 'the chained script ran');
  t.match(typed.output, /the ladder is done: PASS[\s\S]*still-running-after-the-verdict/, 'the guest ran on after the verdict, until Ctrl-]');
  t.match(typed.output, /\[bootchain\].*config\s+ok/, 'the ladder is printed live beside the console');
  t.match(typed.output, /\[bootchain\].*ledger: GET 10\.0\.2\.2\/boot\.ipxe → 200/, 'and the ledger');
  const artifacts = /artifacts: (\S+)/.exec(typed.output)?.[1];
  t.ok(artifacts && readFileSync(join(artifacts, 'report.json'), 'utf8').includes('"verdict": "pass"'), `artifacts written as for boot (${artifacts})`);
  // Processes only (other engineers' runs share /tmp, so its entries prove nothing): nothing may still name the project.
  const left = probeLeftovers({ needles: [proj], tmpRoot: work, tmpBefore: new Set(readdirSync(work)) });
  t.ok(isClean(left), describeLeftovers(left));

  // --gdb-wait: QEMU holds the first instruction (the reset vector) until gdb continues; --pause-at stops the guest (QMP stop).
  const port = await freePort();
  const gdb = await runOnPty(
    [...bc, 'debug', 'prompt', '--gdb', String(port), '--gdb-wait', '--pause-at', 'ipxe'],
    [
      { wait: 'QEMU is running', timeout: 120 },
      { run: ['gdb', '-nx', '-batch', '-ex', `target remote 127.0.0.1:${port}`, '-ex', 'info registers rip cs', '-ex', 'detach'] },
      { wait: 'boot:', timeout: 120 },
      { send: 'ipxe\r' },
      { wait: 'guest paused after stage ipxe', timeout: 120 },
      { sleep: 1 },
      { send: '\x1d' },
    ],
    { cwd: proj },
  );
  t.equal(gdb.failed_wait, null, `every step happened:\n${gdb.output.slice(-3000)}\n${JSON.stringify(gdb.runs)}`);
  t.match(gdb.output, new RegExp(`gdb -ex 'target remote 127\\.0\\.0\\.1:${port}'`), 'the exact gdb command is printed');
  t.match(gdb.runs[0]?.output, /rip\s+0xfff0[\s\S]*cs\s+0xf000/, 'gdb found the CPU at the reset vector f000:fff0 (nothing ran before it attached)');
  t.notMatch(gdb.output, /typed-and-chained/, 'paused after ipxe: the guest never reached the chained script');
  t.equal(gdb.exit, 1, 'left before the ladder finished: not a pass');
  t.match(gdb.output, /verdict: ERROR \(left the console \(Ctrl-\]\) before the verdict\)/, 'the verdict says the run was left, not that the guest failed');
  const after = probeLeftovers({ needles: [proj, 'gdb.sock'], tmpRoot: work, tmpBefore: new Set(readdirSync(work)) });
  t.notOk(await execa('ss', ['-Hltn', `sport = :${port}`]).then((r) => r.stdout.trim()), `nothing listens on ${port} any more`);
  t.ok(isClean(after), describeLeftovers(after));
});
