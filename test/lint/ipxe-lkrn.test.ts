// The lkrn reader on Debian's real ipxe.lkrn, without root: LZMA payload, version, features, commands.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { checkIpxeScript } from '../../harness/lint/check-ipxe-script.ts';
import { inspectLkrn } from '../../harness/lint/ipxe-lkrn.ts';

const LKRN = '/usr/lib/ipxe/ipxe.lkrn';
const label = (append: string) => ({ name: 'ipxe', kernel: 'ipxe.lkrn', kernelKeyword: 'LINUX', append, initrd: [], line: 3 }) as never;

t.test("Debian's ipxe.lkrn: payload, version, features and commands read from its LZMA stream", async (t) => {
  const info = inspectLkrn(readFileSync(LKRN));
  t.equal(info.problem, null);
  t.ok(info.payloadBytes > 100_000, `payload ${info.payloadBytes} B`);
  t.match(info.version, /^1\.0\.0\+git-20190125\.36a4c85/);
  for (const f of ['HTTP', 'DNS', 'bzImage']) t.ok(info.features.has(f), `feature ${f}`);
  t.notOk(info.features.has('HTTPS'), 'no HTTPS in Debian\'s build');
  for (const c of ['chain', 'dhcp', 'echo', 'sleep', 'reboot', 'shell']) t.equal(info.hasCommand(c), true, `has ${c}`);
  for (const c of ['ping', 'poweroff', 'console', 'nslookup']) t.equal(info.hasCommand(c), false, `has no ${c}`);
  const f = checkIpxeScript({ label: label('dhcp && ping 10.0.2.2 && chain http://x/y'), lkrn: info, kernelPath: '/extlinux/ipxe.lkrn', initrds: [] });
  t.same(f.map((x) => `${x.severity} ${x.code}`), ['error LINT_IPXE_UNKNOWN_COMMAND']);
});

t.test('a payload that does not decode is a visible warning, never a silent pass', async (t) => {
  const buf = Buffer.from(readFileSync(LKRN));
  const good = inspectLkrn(buf);
  // Damage the LZMA stream right after its start: the decoder cannot find iPXE in what it yields.
  for (let i = good.payloadOffset! + 16; i < good.payloadOffset! + 4096; i++) buf[i] = buf[i]! ^ 0x5a;
  const info = inspectLkrn(buf);
  t.ok(info.problem, `problem: ${info.problem}`);
  t.equal(info.hasCommand('ping'), null, 'unknown, not "present"');
  const f = checkIpxeScript({ label: label('dhcp && ping 10.0.2.2'), lkrn: info, kernelPath: '/extlinux/ipxe.lkrn', initrds: [] });
  t.same(f.map((x) => `${x.severity} ${x.code}`), ['warning LINT_IPXE_COMMANDS_UNCHECKED']);
  t.match(f[0]!.message, /NOT checked/);
});
