import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { gunzipSparse } from '../../harness/image/gzip-image.ts';
import { inspectImage } from '../../harness/image/index.ts';
import type { DiskMap, Region } from '../../harness/image/types.ts';
import { sha256File } from '../../harness/report/file-hash.ts';

/**
 * The committed `good` recording's disk map must be the map of the image it was recorded from:
 * test/fixtures/boots/good.img.gz (its sha256 is in good.events.json). A map edited by hand, or a
 * recording re-made from another image without re-writing the map, fails here.
 */
const boots = fileURLToPath(new URL('../fixtures/boots/', import.meta.url));
const REGIONS = ['mbr', 'gpt-header', 'gpt-entries', 'vbr', '/extlinux/ldlinux.sys', '/extlinux/ldlinux.c32', '/extlinux/extlinux.conf', '/extlinux/ipxe.lkrn'];

const show = (r: Region | undefined): string => (r ? `${r.name} ${r.kind}${r.size !== undefined ? ` ${r.size} B` : ''} ${r.ranges.map((x) => `[${x.start},${x.end})`).join(' ')}` : '(missing)');

t.test('good.map.json matches inspectImage of the image good.events.json was recorded from', async (t) => {
  const dir = t.testdir({});
  const events = JSON.parse(readFileSync(join(boots, 'good.events.json'), 'utf8')) as { image?: string; imageSha256?: string };
  const committed = JSON.parse(readFileSync(join(boots, 'good.map.json'), 'utf8')) as DiskMap;
  const image = join(dir, 'good.img');
  await gunzipSparse(join(boots, 'good.img.gz'), image);
  const sha = await sha256File(image);
  t.equal(sha, events.imageSha256, `good.img.gz is the image the recording came from (${events.image ?? '?'}: recorded ${events.imageSha256 ?? 'no sha256'}, have ${sha}); re-record as test/fixtures/README.md says`);

  const actual = await inspectImage(image);
  for (const name of [...REGIONS, ...committed.regions.map((r) => r.name).filter((n) => !REGIONS.includes(n))]) {
    const want = committed.regions.find((r) => r.name === name);
    const got = actual.regions.find((r) => r.name === name);
    t.ok(want, `good.map.json has region ${name}`);
    t.same(
      got && { name: got.name, kind: got.kind, size: got.size, ranges: got.ranges },
      want && { name: want.name, kind: want.kind, size: want.size, ranges: want.ranges },
      `region ${name}: committed ${show(want)}; image ${show(got)}`,
    );
  }
  t.same(actual.regions.map((r) => r.name), committed.regions.map((r) => r.name), 'the same regions, in the same order');
  t.same({ table: actual.partitionTable, boot: actual.bootPartition, dir: actual.syslinuxDir, size: actual.sizeBytes }, { table: committed.partitionTable, boot: committed.bootPartition, dir: committed.syslinuxDir, size: committed.sizeBytes }, 'table, boot partition, SYSLINUX dir and size');
});
