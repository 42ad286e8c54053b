import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { describeLeftovers, isClean, probeLeftovers, tempEntries } from '../fixtures/leftovers.ts';
import { pollFor } from './fixtures/processes.ts';

/**
 * Positive control for the leftovers probe the leak tests trust: a process that names the image,
 * its child and a bootchain-qemu-* temp dir, made on purpose, must all be reported; once they are
 * gone the probe must say so.
 */
t.test('the leftovers probe reports a live process, its child and a new temp dir', async (t) => {
  const tmpRoot = mkdtempSync('/tmp/leftovers-probe-');
  t.teardown(() => rmSync(tmpRoot, { recursive: true, force: true }));
  const image = join(tmpRoot, 'pretend.img');
  const before = tempEntries(tmpRoot);

  // sh keeps the image path in its argv and has a child (sleep), like the CLI with its QEMU.
  const sh = execa('sh', ['-c', 'sleep 60 & wait', 'sh', image], { reject: false, stdin: 'ignore' });
  t.teardown(() => void sh.kill('SIGKILL'));
  const shPid = sh.pid ?? -1;
  const tempDir = join(tmpRoot, 'bootchain-qemu-control');
  mkdirSync(tempDir);
  const probe = { needles: [image], parents: [shPid], tmpRoot, tmpBefore: before, tmpPrefix: 'bootchain-' };

  const seen = await pollFor(() => {
    const l = probeLeftovers(probe);
    // Wait for the child to have exec'd sleep (a fresh fork has no command line yet).
    return l.children.some((c) => c.args.startsWith('sleep')) ? l : null;
  }, 5_000);
  const l = seen ?? probeLeftovers(probe);
  const why = describeLeftovers(l);
  t.notOk(isClean(l), `the probe is not clean while they exist:\n${why}`);
  t.ok(l.processes.some((p) => p.pid === shPid), `the process naming the image is reported:\n${why}`);
  t.ok(l.children.some((c) => c.ppid === shPid && c.args.startsWith('sleep')), `its child is reported:\n${why}`);
  t.same(l.parentsAlive, [shPid], `the parent is reported alive:\n${why}`);
  t.same(l.tempEntries, ['bootchain-qemu-control'], `the new temp dir is reported:\n${why}`);

  // The same probe, once everything is gone, reports nothing (so "clean" means something).
  for (const c of l.children) process.kill(c.pid, 'SIGKILL');
  sh.kill('SIGKILL');
  await sh;
  rmSync(tempDir, { recursive: true });
  const after = await pollFor(() => {
    const x = probeLeftovers(probe);
    return isClean(x) ? x : null;
  }, 5_000);
  t.ok(after, `clean once they are gone:\n${describeLeftovers(probeLeftovers(probe))}`);
});
