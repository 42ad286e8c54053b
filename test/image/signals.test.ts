import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import t from 'tap';

/**
 * SIGTERM/SIGINT at any moment of a build leaves no mount, loop device, mount dir or temp file.
 * The kill is triggered by the build's own progress lines, so it lands while the mount is held.
 */
t.test('a build killed mid-way leaves nothing behind', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const dist = t.testdir();
  const before = new Set(readdirSync('/tmp').filter((d) => d.startsWith('image-mnt-')));
  const cases = [['SIGTERM', /mke2fs:/], ['SIGINT', /extlinux --install/], ['SIGTERM', /extlinux --install/], ['SIGINT', /GPT written/]] as const;
  for (const [sig, trigger] of cases) {
    const child = execa('/bin/sh', ['-c', `exec env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin "${process.execPath}" bin/bootchain.js build --no-cache --no-gzip --dist ${dist}`], { reject: false, buffer: false });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (trigger.test(out) && !child.killed) child.kill(sig);
    });
    const r = await child;
    t.comment(`${sig} at ${trigger}: ${r.signal ?? `exit ${r.exitCode}`}`);
    // While it owns something the reaper closes it, then exits with the shell's code for the signal
    // (130 SIGINT, 143 SIGTERM); while it owns nothing the signal's default action ends the process.
    const code = 128 + (os.constants.signals[sig as NodeJS.Signals] ?? 0);
    t.ok(r.signal === sig || r.exitCode === code, `the build ended by the signal (${r.signal ?? `exit ${r.exitCode}`})`);
    t.notMatch(readFileSync('/proc/mounts', 'utf8'), /\/tmp\/image-mnt-/, `no mount (${sig} at ${trigger})`);
    t.notMatch(execFileSync('losetup', ['-a'], { encoding: 'utf8' }), dist, 'no loop device');
    t.same(readdirSync(dist).filter((f) => f.includes('.tmp-')), [], 'no temp output');
    t.notOk(existsSync(`${dist}/hypersolid-cloud.cache-key`), 'no cache key for an unfinished build');
  }
  t.same(readdirSync('/tmp').filter((d) => d.startsWith('image-mnt-') && !before.has(d)), [], 'no mount dir left');
});
