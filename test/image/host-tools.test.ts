import { chmodSync, existsSync } from 'node:fs';
import { execa } from 'execa';
import t from 'tap';
import { BootchainError } from '../../harness/errors.ts';
import { aptInstallCommand, findCommand, HOST_TOOLS, requireTool, resetToolCache } from '../../harness/image/host-tools.ts';

t.test('requireTool finds present tools and files', async (t) => {
  t.match(requireTool('sfdisk'), /\/sfdisk$/);
  t.equal(requireTool('gptmbr.bin'), '/usr/lib/syslinux/mbr/gptmbr.bin');
});

t.test('a missing tool names the Debian package', async (t) => {
  const path = process.env['PATH'];
  process.env['PATH'] = '/nonexistent';
  resetToolCache();
  t.teardown(() => { process.env['PATH'] = path; resetToolCache(); });
  try {
    requireTool('qemu-img');
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof BootchainError);
    t.equal((e as BootchainError).code, 'HOST_TOOL_MISSING');
    t.match((e as BootchainError).message, /`qemu-img` not found/);
    t.match((e as BootchainError).hint, /install the Debian package `qemu-utils`: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-utils/);
  }
  t.equal(findCommand('sfdisk', { PATH: '/nonexistent' }), '/usr/sbin/sfdisk', 'sbin dirs are searched even when PATH lacks them');
});

t.test('the tool table covers what the brief lists', async (t) => {
  const pkgs = new Set(HOST_TOOLS.map((x) => x.pkg));
  for (const p of ['qemu-system-x86', 'qemu-utils', 'seabios', 'ipxe', 'extlinux', 'syslinux-common', 'gdisk', 'fdisk', 'e2fsprogs', 'pigz', 'util-linux', 'iproute2']) t.ok(pkgs.has(p), p);
  t.equal(aptInstallCommand(['a', 'b', 'a']), 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends a b');
});

t.test('ci/setup-host.mjs is silent and runs no apt when everything is present', async (t) => {
  // apt-get first on PATH records any call: the check must not install anything.
  const dir = t.testdir({ 'apt-get': '#!/bin/sh\necho "$*" >> "$(dirname "$0")/apt-called"\nexit 1\n' });
  chmodSync(`${dir}/apt-get`, 0o755);
  const r = await execa(process.execPath, ['bin/zx.js', 'ci/setup-host.mjs'], { reject: false, all: true, env: { PATH: `${dir}:${process.env['PATH']}` } });
  t.equal(r.exitCode, 0);
  t.equal(r.all, '', 'no output');
  t.notOk(existsSync(`${dir}/apt-called`), 'no apt run');
});

t.test('ci/setup-host.mjs as non-root with a tool missing prints the command and exits 1', { skip: process.getuid?.() !== 0 && 'needs root to drop privileges' }, async (t) => {
  // PATH without sbin fallbacks cannot hide sfdisk, but qemu-img (in /usr/bin) disappears.
  const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', `exec env -i HOME=/tmp PATH=/nonexistent "${process.execPath}" bin/zx.js ci/setup-host.mjs`], { reject: false, all: true });
  t.equal(r.exitCode, 1);
  t.match(r.all, /missing host tools: .*qemu-img/);
  t.match(r.all, /apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends .*qemu-utils/);
});
