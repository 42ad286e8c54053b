import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import t from 'tap';
import { leftoverOwner } from '../../harness/leftovers.ts';
import { CLI, DEFAULT_IMG, ensureDefaultImage, isRoot, makeTemp, ROOT, rmTemp } from './fixtures/cli-run.ts';
import { pollFor, processesMatching, procStatus } from './fixtures/processes.ts';

/**
 * A real `bootchain boot` in its private network (QEMU joins the namespace through nsenter), watched from
 * outside while QEMU runs: QEMU is confined (seccomp, not root, none of the host's environment), every temp
 * dir the run made is 0700 and named for the run's pid (so a later run can sweep it), every socket is
 * owner-only. The boot fails on purpose (the served folder is empty), so a repro bundle is written too; no
 * artifact, bundle or compressed file holds the value of an environment variable set for the run.
 */

const work = makeTemp('least-privilege');
t.teardown(rmTemp(work));
const CANARY = `canary-${randomBytes(12).toString('hex')}`;

/** Every file under `dir`, with .gz files also decompressed (a .tar.gz's tar holds its files' bytes as they are). */
function filesWithText(dir: string): Array<{ file: string; bytes: Buffer }> {
  const out: Array<{ file: string; bytes: Buffer }> = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = join(e.parentPath, e.name);
    const bytes = readFileSync(file);
    out.push({ file, bytes });
    if (file.endsWith('.gz')) out.push({ file: `${file} (decompressed)`, bytes: gunzipSync(bytes) });
  }
  return out;
}

/** Files holding the canary as it is, base64 or hex encoded. */
function holdersOf(dir: string, value: string): string[] {
  const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')].map((s) => Buffer.from(s));
  return filesWithText(dir).filter(({ bytes }) => forms.some((f) => bytes.includes(f))).map((f) => f.file);
}

t.before(() => ensureDefaultImage(join(work, 'build-artifacts')));

t.test('positive control: the scan finds the value in a plain file and inside a .gz', async (t) => {
  const dir = join(work, 'control');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'env.txt'), `X=${CANARY}\n`);
  writeFileSync(join(dir, 'bundle.json.gz'), gzipSync(JSON.stringify({ env: { X: CANARY } })));
  t.same(holdersOf(dir, CANARY).sort(), [join(dir, 'bundle.json.gz (decompressed)'), join(dir, 'env.txt')]);
});

t.test('boot in the private network: QEMU confined, temp dirs 0700, sockets owner-only, no host environment in any artifact', async (t) => {
  const tmp = join(work, 'tmp');
  const artifacts = join(work, 'artifacts');
  const served = join(work, 'empty-folder');
  mkdirSync(tmp, { recursive: true });
  mkdirSync(served, { recursive: true });
  // A private copy makes the image path a unique needle among other tests' QEMUs.
  const img = join(work, 'least-privilege.img');
  await execa('cp', ['--sparse=always', DEFAULT_IMG, img]);
  const child = execa(process.execPath, [CLI, 'boot', img, '--serve', served, '--artifacts', artifacts], {
    cwd: ROOT,
    reject: false,
    all: true,
    env: { TMPDIR: tmp, BOOTCHAIN_SECRET_CANARY: CANARY, BOOTCHAIN_ARTIFACTS: artifacts },
    timeout: 120_000,
  });
  const qemu = await pollFor(() => processesMatching('qemu-system', img)[0], 60_000, 10);
  t.ok(qemu, 'QEMU started with the image');
  if (!qemu) {
    child.kill('SIGKILL');
    t.fail(`no QEMU seen; CLI output:\n${(await child).all}`);
    return;
  }
  // QEMU has dropped (the drop comes before the guest runs; the QMP socket is chmod-ed once connected).
  const sock = await pollFor(() => {
    const d = readdirSync(tmp).find((f) => f.startsWith('bootchain-qemu-'));
    const s = d ? join(tmp, d, 'qmp.sock') : null;
    return s && (lstatSync(s, { throwIfNoEntry: false })?.mode ?? 0o777) & 0o077 ? null : s;
  }, 10_000, 10);
  const st = procStatus(qemu.pid);
  t.ok(st, 'QEMU status read while it runs');
  t.comment(`QEMU ${qemu.pid}: Uid ${st?.uid.join(' ')}, Seccomp ${st?.seccomp}, NoNewPrivs ${st?.noNewPrivs}`);
  t.equal(st?.seccomp, 2, 'QEMU\'s seccomp filter is active (Seccomp: 2)');
  t.equal(st?.noNewPrivs, 1, 'NoNewPrivs: 1');
  if (isRoot) {
    t.ok(st && st.uid.every((u) => u !== 0), `QEMU is not root: Uid ${st?.uid.join(' ')}`);
    t.equal(st?.capEff, 0n, 'no effective capability');
  }
  t.match(qemu.args, /nsenter|-sandbox on/, 'the argv QEMU runs with');
  const environ = (pid: number): string => readFileSync(`/proc/${pid}/environ`, 'latin1');
  t.ok(environ(child.pid!).includes(CANARY), 'positive control: the CLI process has the variable');
  t.notOk(environ(qemu.pid).includes(CANARY), 'QEMU\'s environment does not');
  // tap's process-info hook adds NODE_OPTIONS and _TAPJS_* to every child process the test tree spawns.
  const tapOwn = (k: string): boolean => k === 'NODE_OPTIONS' || k.startsWith('_TAPJS_');
  const keys = environ(qemu.pid).split('\0').filter(Boolean).map((kv) => kv.split('=')[0] ?? '');
  t.same(keys.filter((k) => !tapOwn(k)).sort(), ['PATH', 'TMPDIR'], 'QEMU gets PATH and TMPDIR only (besides what tap itself injects)');
  t.ok(keys.length < environ(child.pid!).split('\0').filter(Boolean).length, 'positive control: the CLI has more');

  // Every temp dir and socket of the run, while it runs.
  t.ok(sock, 'the QMP socket exists and is owner-only');
  const ours = readdirSync(tmp).filter((f) => f.startsWith('bootchain-'));
  t.ok(ours.some((f) => f.startsWith('bootchain-qemu-')) && ours.some((f) => f.startsWith('bootchain-net-')), `the machine and private-network temp dirs exist: ${ours.join(', ')}`);
  for (const d of ours) {
    const s = lstatSync(join(tmp, d));
    t.ok(s.isDirectory() && !s.isSymbolicLink(), `${d} is a directory`);
    t.equal((s.mode & 0o777).toString(8), '700', `${d} is 0700`);
    t.equal(leftoverOwner(d), child.pid, `${d} is named for the run's pid (the leftovers sweep can tell whose it is)`);
    for (const e of readdirSync(join(tmp, d), { withFileTypes: true, recursive: true })) {
      const p = join(e.parentPath, e.name);
      const m = lstatSync(p);
      if (m.isSocket()) t.equal(m.mode & 0o077, 0, `socket ${p} is owner-only (${(m.mode & 0o777).toString(8)})`);
      if (m.isDirectory()) t.equal(m.mode & 0o077, 0, `dir ${p} is owner-only`);
    }
  }

  const r = await child;
  t.equal(r.exitCode, 1, `the boot failed as meant (empty served folder); output tail:\n${r.all?.slice(-1500)}`);
  t.same(readdirSync(tmp), [], 'no temp dir left after the run');
  const files = filesWithText(artifacts).map((f) => f.file);
  t.ok(files.some((f) => f.endsWith('repro/bundle.json')) && files.some((f) => f.endsWith('repro.tar.gz (decompressed)')), 'a repro bundle was written');
  t.ok(files.some((f) => f.endsWith('report.json')) && files.some((f) => f.endsWith('.png')), 'report and screenshots were written');
  t.comment(`scanned ${files.length} artifact files (gz decompressed) for the canary`);
  t.same(holdersOf(artifacts, CANARY), [], 'no artifact holds the value of the run\'s environment variable');
  t.same(holdersOf(artifacts, 'BOOTCHAIN_SECRET_CANARY'), [], 'nor its name');
});
