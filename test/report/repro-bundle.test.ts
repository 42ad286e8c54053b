import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeReproBundle, type ReproBundleInput } from '../../harness/report/repro-bundle.ts';
import { openReproBundle, locateReproImage, verifyImageHash } from '../../harness/report/repro-load.ts';
import { materializeRoutes } from '../../harness/report/repro-routes.ts';
import { sha256File } from '../../harness/report/file-hash.ts';
import { failedRunFixture, writeHaltImage } from './fixtures/failed-run.ts';

async function fixture(dir: string, image: string): Promise<ReproBundleInput> {
  const served = join(dir, 'served');
  await mkdir(join(served, 'sub'), { recursive: true });
  await writeFile(join(served, 'boot.ipxe'), '#!ipxe\necho héllo ${serial}\n');
  await writeFile(join(served, 'sub', 'blob.bin'), Buffer.from([0, 1, 2, 255, 254]));
  await writeFile(join(dir, 'one.ipxe'), '#!ipxe\nchain /boot.ipxe\n');
  const { report } = failedRunFixture(join(dir, 'art'));
  return {
    imagePath: image,
    argv: ['qemu-system-x86_64', '-drive', "file=/x y/disk.img,format=raw", '-smbios', "type=1,serial=it's"],
    servedRoutes: [
      { path: '/one.ipxe', file: join(dir, 'one.ipxe') },
      { path: '/files/*', dir: served, name: 'tree' },
      { path: '/gone', status: 404, body: 'nope' },
    ],
    ledger: report.ledger,
    consoleText: 'SeaBIOS\nline two\n',
    traceText: '123@1.0:blk_co_preadv offset 0 bytes 512\n',
    report,
    scenario: 'ipxe-unknown-command',
    options: {
      machine: { accel: 'tcg', icountShift: 8, smbiosSerial: 'S-1', startedAt: 12345 } as ReproBundleInput['options']['machine'],
      bootfile: '/one.ipxe',
      finalStage: 'chain',
      overallTimeoutMs: 60_000,
      scriptSource: 'command line',
      marker: 'MARK-1',
    },
  };
}

t.test('bundle round trip: small image carried, routes inlined and rebuilt byte for byte', async (t) => {
  const dir = t.testdir({});
  const image = join(dir, 'disk.img');
  await writeHaltImage(image);
  const input = await fixture(dir, image);
  const { dir: repro, tarball } = await writeReproBundle(join(dir, 'art'), input);
  t.equal(repro, join(dir, 'art', 'repro'));
  t.ok((await stat(tarball)).size > 0);
  const listing = String((await execa('tar', ['-tzf', tarball])).stdout).split('\n').sort();
  t.same(listing, ['repro/', 'repro/block-trace.txt', 'repro/bundle.json', 'repro/console.txt', 'repro/image.img.gz', 'repro/qemu-cmdline.txt']);
  t.equal(await readFile(join(repro, 'console.txt'), 'utf8'), input.consoleText);
  t.equal(await readFile(join(repro, 'qemu-cmdline.txt'), 'utf8'), `qemu-system-x86_64 -drive 'file=/x y/disk.img,format=raw' -smbios 'type=1,serial=it'\\''s'\n`);

  const opened = await openReproBundle(tarball);
  t.teardown(() => opened.close());
  const b = opened.bundle;
  t.equal(b.image.sha256, await sha256File(image));
  t.equal(b.image.sizeBytes, 1024 * 1024);
  t.equal(b.image.bundled, 'image.img.gz');
  t.equal(b.verdict, 'fail');
  t.equal(b.failure?.code, 'IPXE_COMMAND_NOT_FOUND');
  t.equal(b.expectedStage, 'chain');
  t.same(b.qemu.argv, input.argv);
  t.same(b.options.machine, { accel: 'tcg', icountShift: 8, smbiosSerial: 'S-1' }, 'startedAt is dropped');
  t.equal(b.routes[1]?.files?.length, 2);

  const routes = await materializeRoutes(b.routes, join(dir, 'work'));
  t.equal(await readFile(routes[0]!.file!, 'utf8'), '#!ipxe\nchain /boot.ipxe\n');
  t.equal(await readFile(join(routes[1]!.dir!, 'boot.ipxe'), 'utf8'), '#!ipxe\necho héllo ${serial}\n');
  t.same([...(await readFile(join(routes[1]!.dir!, 'sub', 'blob.bin')))], [0, 1, 2, 255, 254]);
  t.same(routes[2], { path: '/gone', status: 404, body: 'nope' });
  t.equal(routes[1]!.name, 'tree');

  const notes: string[] = [];
  t.same(await locateReproImage(opened, notes), { input: image, needsVerify: false }, 'unchanged image is used in place');
  await appendFile(image, 'x');
  const loc = await locateReproImage(opened, notes);
  t.same(loc, { input: join(opened.dir, 'image.img.gz'), needsVerify: true }, 'a changed image falls back to the bundled one');
  t.match(notes.join('\n'), /has changed since the bundle was written/);
  const raw = join(dir, 'raw.img');
  await execa('sh', ['-c', `gzip -dc "$1" > "$2"`, 'sh', loc.input, raw]);
  await verifyImageHash(b, raw);
  await appendFile(raw, 'y');
  await t.rejects(verifyImageHash(b, raw), { code: 'REPRO_IMAGE_MISMATCH' });
});

t.test('a large image and a large served file are referenced by hash, and their changes are caught', async (t) => {
  const dir = t.testdir({});
  const image = join(dir, 'big.img');
  await writeFile(image, randomBytes(5 * 1024 * 1024)); // incompressible: over the 4 MiB cap
  const input = await fixture(dir, image);
  await writeFile(join(dir, 'served', 'vmlinuz'), randomBytes(4 * 1024 * 1024 + 1));
  const { dir: repro } = await writeReproBundle(join(dir, 'art'), input);
  await t.rejects(stat(join(repro, 'image.img.gz')), { code: 'ENOENT' }, 'no partial gzip left behind');
  const opened = await openReproBundle(repro);
  const b = opened.bundle;
  t.equal(b.image.bundled, null);
  t.match(b.notes.join('\n'), /image not carried/);
  const big = b.routes[1]?.files?.find((f) => f.rel === 'vmlinuz');
  t.equal(big?.content, undefined, 'the 4 MiB+1 file is not inlined');
  t.equal(big?.size, 4 * 1024 * 1024 + 1);
  const routes = await materializeRoutes(b.routes, join(dir, 'work1'));
  t.equal(await sha256File(join(routes[1]!.dir!, 'vmlinuz')), big?.sha256, 'unchanged big file is copied');
  await appendFile(join(dir, 'served', 'vmlinuz'), 'z');
  await t.rejects(materializeRoutes(b.routes, join(dir, 'work2')), { code: 'REPRO_SERVED_FILE_CHANGED' });
  await appendFile(image, 'z');
  await t.rejects(locateReproImage(opened, []), { code: 'REPRO_IMAGE_MISMATCH' });
});

t.test('broken bundles are rejected with the field named', async (t) => {
  const dir = t.testdir({ a: { 'bundle.json': '{"format":"bootchain-repro","version":1,"image":{"path":"/x","sha256":"zz"}}' }, b: { 'bundle.json': 'not json' }, 'c.tar.gz': 'junk' });
  await t.rejects(openReproBundle(join(dir, 'a')), { code: 'REPRO_BUNDLE_INVALID', message: /image\.sha256/ });
  await t.rejects(openReproBundle(join(dir, 'b')), { code: 'REPRO_BUNDLE_INVALID', message: /not JSON/ });
  await t.rejects(openReproBundle(join(dir, 'c.tar.gz')), { code: 'REPRO_BUNDLE_INVALID', message: /tar\.gz/ });
  await t.rejects(openReproBundle(join(dir, 'nope')), { code: 'REPRO_BUNDLE_MISSING' });
});
