import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { BootEvent, DiskReadEvent } from '../../harness/events.ts';
import { Machine } from '../../harness/machine/index.ts';
import { defaultChainRoutes, startHttpStub } from '../../harness/network/index.ts';
import { buildSeedImage, pidsMatching } from './fixtures/seed-image.ts';

const strip = (s: string): string => s.replace(/\x1b(\[[0-9;?]*[A-Za-z]|c)/g, '').replace(/\r/g, '');

t.test('real boot of the seed image: SeaBIOS → SYSLINUX → iPXE → stub', { skip: process.getuid?.() !== 0 ? 'needs root (loop mount)' : false }, async (t) => {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'machine-test-'));
  t.teardown(() => fsp.rm(work, { recursive: true, force: true }));
  const img = await buildSeedImage(work);
  const imgBefore = await fsp.readFile(img).then((b) => b.subarray(0, 2 * 1024 * 1024));
  const marker = `MARK-${process.pid}`;
  const t0 = Date.now();
  const stub = await startHttpStub({ routes: defaultChainRoutes(marker), startedAt: t0 });
  t.teardown(() => stub.close());

  let serial = '';
  let bannerAt = -1;
  const events: BootEvent[] = [];
  const machine = await Machine.start(
    { image: img, startedAt: t0, smbiosSerial: 'BC-TEST-1', bootfileUrl: stub.guestUrl('/chain.ipxe?serial=${serial}') },
    {
      onSerial: (c, at) => {
        serial += c.toString('latin1');
        if (bannerAt < 0 && serial.includes('SeaBIOS (version')) bannerAt = at;
      },
      onEvent: (e) => events.push(e),
    },
  );
  t.teardown(() => machine.close());
  const startMs = Date.now() - t0;
  const exit = await Promise.race([machine.exited, new Promise<null>((r) => setTimeout(() => r(null), 60_000).unref())]);
  const text = strip(serial);
  const tail = text.split('\n').slice(-15).join('\n');
  t.ok(exit, `QEMU ended by itself (No bootable device after the script); console tail:\n${tail}`);
  t.equal(exit?.code, 0);
  t.notOk(exit?.infraError, 'no infra error');
  t.match(text, 'SeaBIOS (version', 'SeaBIOS banner');
  t.match(text, 'SYSLINUX 6.04', 'SYSLINUX banner');
  t.match(text, /iPXE [\d.]+\+git/, 'iPXE banner');
  t.match(text, marker, 'the chained script ran');
  t.equal(stub.ledger.length >= 1, true, 'stub saw a request');
  t.match(stub.ledger[0], { path: '/chain.ipxe', query: { serial: 'BC-TEST-1' }, status: 200, route: 'default-chain' });
  const reads = events.filter((e): e is DiskReadEvent => e.kind === 'disk-read');
  t.ok(reads.some((r) => r.offset === 0), 'MBR read');
  t.ok(reads.some((r) => r.offset === 1048576), 'VBR read');
  t.ok(reads.every((r) => r.atMs > -1000 && r.atMs < 60_000), 'disk-read times are relative to start');
  t.equal(events.filter((e) => e.kind === 'exit').length, 1, 'one exit event');
  t.ok(machine.traceText().includes('blk_co_preadv'));

  const pngPath = path.join(work, 'screen.png');
  await t.rejects(machine.screendump(pngPath), { code: 'MACHINE_NOT_RUNNING' }, 'no screendump after exit');

  await machine.close();
  await machine.close();
  t.notOk(fs.existsSync(machine.paths.dir), 'temp dir removed');
  t.notOk(fs.existsSync(machine.paths.qmpSocket), 'QMP socket removed');
  t.same(await pidsMatching(machine.paths.dir), [], 'no QEMU left');
  const imgAfter = await fsp.readFile(img).then((b) => b.subarray(0, 2 * 1024 * 1024));
  t.ok(imgBefore.equals(imgAfter), 'image not modified');
  t.comment(`start() returned after ${startMs} ms; SeaBIOS banner at ${bannerAt} ms; chain request at ${stub.ledger[0]?.atMs} ms; exit at ${exit?.atMs} ms; ${reads.length} disk reads`);
});
