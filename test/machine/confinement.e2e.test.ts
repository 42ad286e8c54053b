import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { Machine } from '../../harness/machine/index.ts';
import { qemuUserFor } from '../../harness/machine/qemu-user.ts';
import { pollFor, processesMatching, procStatus } from '../cli/fixtures/processes.ts';
import { buildSpinImage, pidsMatching } from './fixtures/seed-image.ts';

/**
 * QEMU runs confined: its seccomp filter is on (Seccomp: 2, NoNewPrivs: 1) and, when the harness is root, it is
 * no longer root once the guest runs (all four uids are the unprivileged user's, no effective capability).
 * Read from /proc/PID/status of the real QEMU process during a boot.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const isRoot = process.getuid?.() === 0;
const noHooks = { onSerial: () => undefined, onEvent: () => undefined };

t.test('positive control: the status reader sees an unconfined process as such', async (t) => {
  const self = procStatus(process.pid);
  t.ok(self, 'reads /proc/self/status');
  t.equal(self?.seccomp, 0, 'the test process has no seccomp filter');
  if (isRoot) t.same(self?.uid, [0, 0, 0, 0], 'the test process is root');
  t.equal(procStatus(2 ** 22 + 1), null, 'a missing pid reads as null');
});

t.test('a running QEMU: seccomp filter active, no new privileges, not root (when the harness is root)', async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-confine-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const img = await buildSpinImage(work);
  const serial: string[] = [];
  const m = await Machine.start({ image: img, tmpRoot: work }, { onSerial: (c) => void serial.push(c.toString('latin1')), onEvent: () => undefined });
  t.teardown(() => m.close());
  await pollFor(() => serial.join('').includes('Booting from Hard Disk'), 10_000);
  const [pid] = await pidsMatching(m.paths.dir);
  t.ok(pid, 'QEMU process found');
  const st = procStatus(pid!);
  t.ok(st, 'QEMU status read');
  t.comment(`QEMU ${pid}: Uid ${st?.uid.join(' ')}, Gid ${st?.gid.join(' ')}, Seccomp ${st?.seccomp}, NoNewPrivs ${st?.noNewPrivs}, CapEff ${st?.capEff.toString(16)}`);
  t.equal(st?.seccomp, 2, 'Seccomp: 2 (filter mode)');
  t.equal(st?.noNewPrivs, 1, 'NoNewPrivs: 1');
  t.match(m.argv.join(' '), /-sandbox on,obsolete=deny,.*spawn=deny,resourcecontrol=deny/);
  if (isRoot) {
    const want = qemuUserFor(undefined)!;
    t.same(st?.uid, [want.uid, want.uid, want.uid, want.uid], `real, effective, saved and fs uid are ${want.user}'s (${want.uid})`);
    t.same(st?.gid, [want.gid, want.gid, want.gid, want.gid], `every gid is ${want.gid}`);
    t.not(st?.uid[1], 0, 'effective uid is not root');
    t.equal(st?.capEff, 0n, 'no effective capability');
    t.equal(fs.statSync(m.paths.dir).uid, want.uid, 'the temp dir QEMU is chrooted into is its user\'s');
  } else t.same(st?.uid[1], process.getuid?.(), 'not root: QEMU runs as the harness\'s own user');
  t.equal(fs.statSync(m.paths.dir).mode & 0o777, 0o700, 'temp dir is 0700');
  t.equal(fs.statSync(m.paths.qmpSocket).mode & 0o777, 0o600, 'QMP socket is owner-only');
  // Still fully usable: the screen can be saved (written inside the chroot, moved out by the harness).
  const png = path.join(work, 'screen.png');
  await m.screendump(png);
  t.same([...(await fsp.readFile(png)).subarray(1, 4)], [...Buffer.from('PNG')], 'screendump works');
  t.same(fs.readdirSync(m.paths.dir).filter((f) => f.endsWith('.png')), [], 'no screenshot left in the temp dir');
  await m.close();
});

t.test('SIGKILL of the harness: the dropped QEMU still dies with it', { skip: isRoot ? false : 'the drop (and the watcher) exist only as root' }, async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-confine-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const img = await buildSpinImage(work);
  const child = execa('node', ['--import=tsx', path.join(here, 'fixtures', 'run-machine.ts'), img], { reject: false, cwd: path.join(here, '..', '..') });
  const info = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /STARTED (\d+) (\S+)/.exec(buf);
      if (m) resolve({ pid: Number(m[1]), dir: m[2] ?? '' });
    });
    void child.then((r) => reject(new Error(`child ended early: ${r.stderr}`)));
  });
  t.not(procStatus(info.pid)?.uid[1], 0, 'QEMU has dropped root');
  child.kill('SIGKILL');
  await child;
  const gone = await pollFor(() => processesMatching('qemu-system', info.dir).length === 0, 5_000, 50);
  t.ok(gone, `no QEMU left within 5 s of the SIGKILL (left: ${JSON.stringify(processesMatching('qemu-system', info.dir))})`);
  if (!gone) for (const p of processesMatching('qemu-system', info.dir)) process.kill(p.pid, 'SIGKILL');
});

t.test('positive control: without the watcher a dropped QEMU outlives its killed parent', { skip: isRoot ? false : 'needs root (-runas)' }, async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-confine-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const needle = path.join(work, 'control.sock');
  // The parent starts QEMU with a parent-death SIGKILL, as spawnOwned does, then (as `sleep`) is killed.
  const parent = execa('sh', ['-c', `setpriv --pdeathsig KILL -- qemu-system-x86_64 -nodefaults -machine none -display none -S -qmp unix:${needle},server=on,wait=off -sandbox on -runas 65534:65534 & exec sleep 60`], { reject: false, stdio: 'ignore' });
  const qemu = await pollFor(() => processesMatching('qemu-system', needle)[0]?.pid, 10_000, 20);
  t.ok(qemu, 'control QEMU started');
  t.ok(await pollFor(() => procStatus(qemu!)?.uid[1] === 65534, 5_000, 20), 'control QEMU dropped to 65534');
  parent.kill('SIGKILL');
  await parent;
  await new Promise((r) => setTimeout(r, 500));
  const survived = processesMatching('qemu-system', needle);
  t.ok(survived.length > 0, 'the drop cleared the parent-death signal: QEMU survived (this is what the watcher is for)');
  for (const p of survived) process.kill(p.pid, 'SIGKILL');
});
