import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import type { BootEvent } from '../../harness/events.ts';
import { Machine } from '../../harness/machine/index.ts';
import { buildSpinImage, pidsMatching } from './fixtures/seed-image.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const hooks = (events: BootEvent[], serial: string[]) => ({
  onSerial: (c: Buffer) => void serial.push(c.toString('latin1')),
  onEvent: (e: BootEvent) => void events.push(e),
});

t.test('close() of a running machine: screendump works, nothing left behind', async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-test-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const img = await buildSpinImage(work);
  const events: BootEvent[] = [];
  const serial: string[] = [];
  const m = await Machine.start({ image: img, tmpRoot: work }, hooks(events, serial));
  await new Promise((r) => setTimeout(r, 500));
  const png = path.join(work, 'screen.png');
  await m.screendump(png);
  t.same([...(await fsp.readFile(png)).subarray(1, 4)], [...Buffer.from('PNG')], 'PNG written');
  t.match(serial.join(''), 'Booting from Hard Disk', 'spin image booted');
  t.ok((await pidsMatching(m.paths.dir)).length > 0, 'QEMU running before close');
  await Promise.all([m.close(), m.close()]);
  const exit = await m.exited;
  t.notOk(exit.infraError, 'closing is not an infra error');
  t.equal(events.filter((e) => e.kind === 'exit').length, 1);
  t.notOk(fs.existsSync(m.paths.dir));
  t.same(await pidsMatching(m.paths.dir), []);
});

t.test('QEMU failures become infraError exits, not throws', async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-test-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const img = await buildSpinImage(work);
  const bad = await Machine.start({ image: img, extraArgs: ['-no-such-option'] }, hooks([], []));
  const e1 = await bad.exited;
  await bad.close();
  t.not(e1.code, 0);
  t.match(e1.infraError, /no-such-option/, 'names the bad option');
  t.notOk(fs.existsSync(bad.paths.dir));

  const missing = await Machine.start({ image: img, qemuBinary: 'qemu-system-nonexistent' }, hooks([], []));
  const e2 = await missing.exited;
  await missing.close();
  t.match(e2.infraError, /qemu-system-nonexistent.*qemu-system-x86/, 'names binary and package');

  await t.rejects(Machine.start({ image: path.join(work, 'nope.img') }, hooks([], [])), { code: 'IMAGE_NOT_FOUND' });
});

t.test('abort signal closes the machine', async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-test-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const ac = new AbortController();
  const m = await Machine.start({ image: await buildSpinImage(work) }, hooks([], []), ac.signal);
  ac.abort();
  await m.exited;
  await m.close();
  t.notOk(fs.existsSync(m.paths.dir));
  t.same(await pidsMatching(m.paths.dir), []);
});

t.test('SIGINT to a process running a Machine leaves no QEMU, socket or temp dir', async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-test-'));
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
  t.ok(fs.existsSync(path.join(info.dir, 'qmp.sock')), 'socket exists while running');
  t.equal((await pidsMatching(info.dir)).length > 0, true, 'QEMU running');
  child.kill('SIGINT');
  const r = await child;
  t.equal(r.exitCode, 130, `child exited with 130 after SIGINT (stderr: ${r.stderr})`);
  t.notOk(fs.existsSync(info.dir), 'temp dir and socket removed');
  t.same(await pidsMatching(info.dir), [], 'no QEMU left');
  t.throws(() => process.kill(info.pid, 0), 'QEMU pid gone');
});
