// `bootchain doctor`: every requirement in a table with the fix for each gap; exit 0 when a boot can run,
// 1 when it cannot — shown by hiding QEMU from PATH (the fix names its Debian package).
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { CLI, ROOT } from './fixtures/cli-run.ts';

t.test('doctor passes on this machine and names what it probed', async (t) => {
  const r = await execa(process.execPath, [CLI, 'doctor'], { cwd: ROOT, reject: false, all: true, env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } });
  t.equal(r.exitCode, 0, r.all);
  t.match(r.stdout, /ok\s+qemu-system-x86_64\s+\S+ \(QEMU emulator version/);
  t.match(r.stdout, /private network per boot/);
  t.match(r.stdout, /KVM/);
  t.match(r.stdout, /ok\s+rootless EXTLINUX install\s+boot sector, ldlinux.sys \(\d+ B\), ldlinux.c32 \(\d+ B\) found in \/usr\/bin\/extlinux/);
  t.match(r.stdout, /a boot can run here/);
});

t.test('with QEMU hidden from PATH, doctor fails and names the package that brings it', async (t) => {
  // A PATH that holds everything in /usr/bin except QEMU (the sbin dirs stay searched, QEMU is not there).
  const dir = t.testdir({ bin: {} });
  for (const f of readdirSync('/usr/bin')) if (!f.startsWith('qemu-system')) symlinkSync(join('/usr/bin', f), join(dir, 'bin', f));
  mkdirSync(join(dir, 'tmp'));
  const r = await execa(process.execPath, [CLI, 'doctor'], { cwd: ROOT, reject: false, all: true, env: { PATH: join(dir, 'bin'), TMPDIR: join(dir, 'tmp') } });
  t.equal(r.exitCode, 1, r.all);
  t.match(r.stdout, /FAIL\s+qemu-system-x86_64\s+missing\n\s+fix: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86/);
  t.match(r.stdout, /no boot can run here: qemu-system-x86_64 missing/);
});
