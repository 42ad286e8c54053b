// Where no namespace can be made, a boot stops before QEMU with NETNS_UNAVAILABLE (exit 2), says how to fix
// it and leaves nothing behind; --network user still boots.
import { chmodSync, existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { CLI, ROOT } from '../cli/fixtures/cli-run.ts';

t.test('unshare refused: NETNS_UNAVAILABLE, exit 2, the fix named, no temp dir and no artifacts left', async (t) => {
  const dir = t.testdir({ bin: {}, tmp: {}, artifacts: {} });
  // Any disk image will do: the network is made before QEMU would read it.
  const image = join(dir, 'blank.img');
  writeFileSync(image, '');
  truncateSync(image, 4 << 20);
  // As a container without CAP_SYS_ADMIN answers: unshare fails with EPERM.
  const fake = join(dir, 'bin', 'unshare');
  writeFileSync(fake, '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n');
  chmodSync(fake, 0o755);
  const artifacts = join(dir, 'artifacts', 'run');
  const r = await execa(process.execPath, [CLI, 'boot', image, '--artifacts', artifacts], {
    cwd: ROOT,
    reject: false,
    all: true,
    env: { PATH: `${join(dir, 'bin')}:${process.env['PATH']}`, TMPDIR: join(dir, 'tmp') },
  });
  t.equal(r.exitCode, 2, r.all);
  t.match(r.stderr, /NETNS_UNAVAILABLE.*Operation not permitted/s, 'names the cause');
  t.match(r.stderr, /--network user/, 'names the fallback');
  t.same(readdirSync(join(dir, 'tmp')), [], 'no temp dir left');
  t.notOk(existsSync(join(artifacts, 'report.json')), 'no partial report');
});
