import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { gunzipSparse } from '../../harness/image/gzip-image.ts';
import { inspectImage } from '../../harness/image/index.ts';
import type { DiskMap, Region } from '../../harness/image/types.ts';
import { sha256File } from '../../harness/report/file-hash.ts';

/**
 * Every committed recording's disk map must be the map of the image it was recorded from:
 * test/fixtures/boots/NAME.img.gz (its sha256 is in NAME.events.json). A map edited by hand, or a
 * recording re-made from another image without re-writing the map, fails here.
 */
const boots = fileURLToPath(new URL('../fixtures/boots/', import.meta.url));
const RECORDINGS = ['good', 'dup', 'autoboot', 'missing', 'zerovbr', 'h404', 'refused'];
const REGIONS = ['mbr', 'gpt-header', 'gpt-entries', 'vbr', '/extlinux/ldlinux.sys', '/extlinux/ldlinux.c32', '/extlinux/extlinux.conf', '/extlinux/ipxe.lkrn'];

const show = (r: Region | undefined): string => (r ? `${r.name} ${r.kind}${r.size !== undefined ? ` ${r.size} B` : ''} ${r.ranges.map((x) => `[${x.start},${x.end})`).join(' ')}` : '(missing)');

t.test('every recording is committed with its image, events and map', async (t) => {
  const names = readdirSync(boots).filter((f) => f.endsWith('.events.json')).map((f) => f.slice(0, -'.events.json'.length)).sort();
  t.same(names, [...RECORDINGS].sort(), 'the recordings checked here are all the recordings there are');
  for (const name of RECORDINGS) {
    t.ok(existsSync(join(boots, `${name}.img.gz`)), `${name}.img.gz is committed`);
    t.ok(existsSync(join(boots, `${name}.map.json`)), `${name}.map.json is committed`);
  }
});

for (const name of RECORDINGS) {
  t.test(`${name}.map.json matches inspectImage of the image ${name}.events.json was recorded from`, async (t) => {
    const dir = t.testdir({});
    const events = JSON.parse(readFileSync(join(boots, `${name}.events.json`), 'utf8')) as { name?: string; image?: string; imageSha256?: string };
    const committed = JSON.parse(readFileSync(join(boots, `${name}.map.json`), 'utf8')) as DiskMap;
    t.equal(events.name, name, `${name}.events.json names itself ${name}`);
    t.match(events.imageSha256, /^[0-9a-f]{64}$/, `${name}.events.json holds the sha256 of its image`);
    const image = join(dir, `${name}.img`);
    await gunzipSparse(join(boots, `${name}.img.gz`), image);
    const sha = await sha256File(image);
    t.equal(sha, events.imageSha256, `${name}.img.gz is the image the recording came from (${events.image ?? '?'}: recorded ${events.imageSha256 ?? 'no sha256'}, have ${sha}); re-record as test/fixtures/README.md says`);

    const actual = await inspectImage(image);
    for (const region of [...REGIONS, ...committed.regions.map((r) => r.name).filter((n) => !REGIONS.includes(n))]) {
      const want = committed.regions.find((r) => r.name === region);
      const got = actual.regions.find((r) => r.name === region);
      t.ok(want, `${name}.map.json has region ${region}`);
      t.same(
        got && { name: got.name, kind: got.kind, size: got.size, ranges: got.ranges },
        want && { name: want.name, kind: want.kind, size: want.size, ranges: want.ranges },
        `${name}: region ${region}: committed ${show(want)}; image ${show(got)}`,
      );
    }
    t.same(actual.regions.map((r) => r.name), committed.regions.map((r) => r.name), `${name}: the same regions, in the same order`);
    t.same({ table: actual.partitionTable, boot: actual.bootPartition, dir: actual.syslinuxDir, size: actual.sizeBytes }, { table: committed.partitionTable, boot: committed.bootPartition, dir: committed.syslinuxDir, size: committed.sizeBytes }, `${name}: table, boot partition, SYSLINUX dir and size`);
  });
}
