import t from 'tap';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage } from '../../harness/image/index.ts';
import { prepareBootImage } from '../../harness/scenario/prepare-image.ts';
import { runBootSession } from '../../harness/scenario/boot-session.ts';
import { toBootReport } from '../../harness/report/json-report.ts';
import { writeReproBundle } from '../../harness/report/repro-bundle.ts';
import { runRepro, sameOutcome } from '../../harness/cli/repro-command.ts';
import type { ReproBootOptions, ReproBundleJson } from '../../harness/report/repro-types.ts';

function collect(): { io: { out: (s: string) => void; err: (s: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s) => void out.push(s), err: (s) => void err.push(s) }, out, err };
}

t.test('usage errors', async (t) => {
  await t.rejects(runRepro([], collect().io), { code: 'USAGE' });
  await t.rejects(runRepro(['a', 'b'], collect().io), { code: 'USAGE' });
  await t.rejects(runRepro(['x', '--timeout=-1'], collect().io), { code: 'USAGE' });
  await t.rejects(runRepro(['/nonexistent/repro'], collect().io), { code: 'REPRO_BUNDLE_MISSING' });
});

t.test('sameOutcome compares verdict, failure code and stage', async (t) => {
  const b = { verdict: 'fail', failure: { code: 'X', stage: 'chain', message: '', hint: '' } } as ReproBundleJson;
  t.ok(sameOutcome(b, { verdict: 'fail', failure: { code: 'X', stage: 'chain', message: 'other', hint: '' } }));
  t.notOk(sameOutcome(b, { verdict: 'fail', failure: { code: 'Y', stage: 'chain', message: '', hint: '' } }));
  t.notOk(sameOutcome(b, { verdict: 'fail', failure: { code: 'X', stage: 'network', message: '', hint: '' } }));
  t.notOk(sameOutcome(b, { verdict: 'pass', failure: null }));
});

t.test('a real failed boot is bundled and reproduced from the tarball, with the image moved away', async (t) => {
  const dir = t.testdir({});
  const built = await buildImage({ name: 'hypersolid-cloud', outName: 'repro-test', distDir: join(dir, 'dist'), imagesDir: 'images', gzip: false });
  const art = join(dir, 'art1');
  const prepared = await prepareBootImage(built.imagePath, { workDir: art });
  await writeFile(join(dir, 'boot.ipxe'), '#!ipxe\necho never fetched\n');
  const routes = [{ path: '/boot.ipxe', file: join(dir, 'boot.ipxe') }];
  const options: ReproBootOptions = {
    machine: { accel: 'tcg', icountShift: 8, smbiosSerial: 'REPRO-1' },
    bootfile: '/missing.ipxe',
    finalStage: 'chain',
    overallTimeoutMs: 90_000,
    scriptSource: prepared.scriptSource,
    marker: 'REPRO-MARK',
  };
  // The session itself writes the bundle of a failed run (artifacts/<run>/repro + repro.tar.gz).
  const r = await runBootSession({ image: prepared.image, diskMap: prepared.map, routes, artifactsDir: art, ...options, meta: { image: prepared.image, scenario: 'repro-test', notes: prepared.notes, lint: prepared.lint } });
  t.equal(r.verdict, 'fail', `first boot fails (${r.endedBy})`);
  t.ok(r.report.failure, 'the report names the failure');
  const bundle = { dir: join(art, 'repro'), tarball: join(art, 'repro.tar.gz') };
  t.match(await readFile(join(art, 'report.html'), 'utf8'), /<img [^>]*screen-failure\.png/, 'the failed run has an HTML report with the failure screenshot');
  const json = JSON.parse(await readFile(join(bundle.dir, 'bundle.json'), 'utf8')) as ReproBundleJson;
  t.equal(json.image.bundled, 'image.img.gz', 'the ~1 MB compressed image is carried');
  t.equal(json.routes[0]?.files?.[0]?.content, '#!ipxe\necho never fetched\n');

  await rename(built.imagePath, `${built.imagePath}.moved`);
  const c = collect();
  const code = await runRepro([bundle.tarball, '--artifacts', join(dir, 'art2')], c.io);
  t.equal(code, 0, `reproduced:\n${c.out.join('\n')}\n${c.err.join('\n')}`);
  t.match(c.out.join('\n'), `reproduced: same outcome as the bundle, FAIL (${r.failure?.code} at ${r.failure?.stage})`);
  t.match(c.err.join('\n'), /using the image carried in the bundle/);
  t.match(await readFile(join(dir, 'art2', 'report.html'), 'utf8'), `id="failure-code">${r.failure?.code}<`);

  // A bundle that claims a pass must be reported as not reproduced (exit 1).
  json.verdict = 'pass';
  json.failure = null;
  await writeFile(join(bundle.dir, 'bundle.json'), JSON.stringify(json));
  const c2 = collect();
  t.equal(await runRepro([bundle.dir, '--artifacts', join(dir, 'art3')], c2.io), 1);
  t.match(c2.out.join('\n'), /NOT reproduced: the bundle says PASS, the rerun gave FAIL/);
});
