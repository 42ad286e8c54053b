import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { STAGE_IDS } from '../../harness/stages/ladder.ts';

/** The default run goes to chain: the 11 firmware stages (kernel and init only when asked). */
const TO_CHAIN = STAGE_IDS.slice(0, STAGE_IDS.indexOf('chain') + 1);
import { consoleTail, DEFAULT_GZ, ensureDefaultImage, isRoot, makeTemp, rmTemp, runCli } from './fixtures/cli-run.ts';
import { buildSeedRecipeImage, deploySeedImage, SEED_EMBEDDED_CONF, SEED_EXTERNAL_CONF } from './fixtures/seed-recipe.ts';

/**
 * Images made outside the project's builder — with the seed's own commands, and with the seed's
 * deployment recipe — must boot through every stage under `bootchain boot`.
 */

interface Report {
  verdict: string;
  stages: Array<{ id: string; status: string; evidence: string[] }>;
  ledger: Array<{ path: string; query: Record<string, string>; status: number }>;
  artifacts: string;
  notes: string[];
}

const work = makeTemp('seed-recipe');
t.teardown(rmTemp(work));
const artifacts = join(work, 'artifacts');

async function bootAll(t: Test, args: string[]): Promise<Report | null> {
  const r = await runCli(['boot', ...args, '--json'], { artifacts });
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    t.fail(`no JSON report (exit ${r.exitCode}):\n${r.all}`);
    return null;
  }
  const table = report.stages.map((s) => `${s.id.padEnd(12)} ${s.status.padEnd(12)} ${s.evidence.join(' | ')}`).join('\n');
  const why = `exit ${r.exitCode}\n${table}\nconsole tail:\n${consoleTail(report.artifacts)}`;
  t.equal(r.exitCode, 0, `exit 0 — ${why}`);
  t.equal(report.verdict, 'pass', 'verdict pass');
  t.same(report.stages.map((s) => s.id), TO_CHAIN, 'all 11 stages reported');
  t.same(report.stages.filter((s) => s.status !== 'passed').map((s) => s.id), [], 'every stage passed');
  // The silent stages must be proven by the disk map + block trace, not by console text alone.
  for (const id of ['mbr', 'gpt', 'vbr']) {
    const ev = report.stages.find((s) => s.id === id)?.evidence ?? [];
    t.ok(ev.some((e) => e.startsWith('disk read @')), `${id} has disk-read evidence: ${ev.join(' | ')}`);
  }
  const vbrRead = report.stages.find((s) => s.id === 'gpt')?.evidence.some((e) => e.includes('@1048576 ') && e.includes('(vbr)'));
  t.ok(vbrRead, 'the VBR read is at partition 1 first sector (1 MiB)');
  return report;
}

const skip = isRoot ? false : 'needs root (loop mount, as the seed build does)';

t.test('seed recipe, embedded-script style: autoboots the DHCP filename', { skip }, async (t) => {
  const img = await buildSeedRecipeImage(work, 'embedded.img', { 'extlinux.conf': SEED_EMBEDDED_CONF });
  const report = await bootAll(t, [img]);
  t.ok(report?.stages.find((s) => s.id === 'script')?.evidence.includes('source: autoboot'), 'iPXE autobooted');
  t.ok(report?.ledger.some((l) => l.status === 200), 'the stub served the chained config');
});

t.test('seed recipe, external ipxe.conf via INITRD: dhcp + chain with ${serial}', { skip }, async (t) => {
  // The seed's ipxe.conf, with only the host replaced: the stub's port is unknown before boot, so the
  // script chains the DHCP filename the harness hands out (the --serve dir's .ipxe file).
  const ipxeConf = '#!ipxe\n\necho booting LINUX from iPXE\n\n# try to get an IP via dhcp\ndhcp\nchain ${filename}?serial=${serial}\n';
  const img = await buildSeedRecipeImage(work, 'external.img', { 'extlinux.conf': SEED_EXTERNAL_CONF, 'ipxe.conf': ipxeConf });
  const serve = join(work, 'serve');
  mkdirSync(serve, { recursive: true });
  const marker = `SEED-CHAIN-${process.pid}`;
  writeFileSync(join(serve, 'myconfig.ipxe'), `#!ipxe\necho ${marker} serial=\${serial}\n`);
  const report = await bootAll(t, [img, '--serve', serve, '--serial', 'HS-TEST-42']);
  if (!report) return;
  t.ok(report.stages.find((s) => s.id === 'script')?.evidence.includes('source: initrd'), 'the INITRD script ran');
  t.match(report.ledger, [{ path: '/myconfig.ipxe', query: { serial: 'HS-TEST-42' }, status: 200 }], 'myconfig.ipxe fetched with the SMBIOS serial');
  // The run ends the moment chain passes (fetched + iPXE's "… ok"), so the served script's own echo may
  // come after the verdict; the chain stage's evidence is the download line.
  t.match(report.stages.find((s) => s.id === 'chain')?.evidence.join('\n'), /myconfig\.ipxe.*ok/, "iPXE confirmed the download of the served config");
});

t.test('seed recipe, APPEND dhcp && chain ${filename} (command-line script)', { skip }, async (t) => {
  const conf = 'DEFAULT ipxe\n  SAY booting iPXE from SYSLINUX\nLABEL ipxe\n  LINUX ipxe.lkrn\n  APPEND dhcp && chain ${filename}\n';
  const img = await buildSeedRecipeImage(work, 'append.img', { 'extlinux.conf': conf });
  const report = await bootAll(t, [img]);
  t.notOk(report?.stages.find((s) => s.id === 'script')?.evidence.includes('source: autoboot'), 'not autoboot: the command line ran');
});

t.test('deployment recipe: gzip -d -c boot.img.gz | dd onto a 2 GiB disk + sgdisk -G boots', async (t) => {
  await ensureDefaultImage(artifacts);
  const disk = join(work, 'deployed-2g.img');
  const verify = await deploySeedImage(DEFAULT_GZ, disk, 2 * 1024 ** 3);
  t.match(verify, /No problems found/, `sgdisk -v after -G: ${verify}`);
  await bootAll(t, [disk]);
});
