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

t.test('the cached facts answer every command question as the decoded payload does', async (t) => {
  const { lkrnFacts } = await import('../../harness/lint/ipxe-lkrn.ts');
  const { decodeLzmaRaw } = await import('../../harness/lint/lzma-raw.ts');
  const { inspectLkrnCached, clearLkrnMemory } = await import('../../harness/lint/lkrn-cache.ts');
  const { mkdtempSync, readdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const buf = readFileSync(LKRN);
  const facts = lkrnFacts(buf);
  const payload = decodeLzmaRaw(buf, facts.payloadOffset!, { lc: 2, lp: 0, pb: 0, dictSize: 1 << 24 }, 16 << 20).out;
  // Every word of a typical script plus near misses: the tails give exactly payload.includes(`${name}\0`).
  const names = ['chain', 'dhcp', 'proxydhcp', 'xydhcp', 'echo', 'ping', 'ifopen', 'imgfetch', 'kernel', 'boot', 'set', 'isset', 'iseq', 'goto', 'login', 'nslookup', 'ntp', 'sanboot', 'shell', 'h', 'p', 'http', '#!ipxe', 'a-b'];
  for (const n of names) t.equal(inspectLkrn(buf).hasCommand(n), payload.includes(`${n}\0`), `"${n}"`);
  const dir = mkdtempSync(join(tmpdir(), 'bootchain-test-lkrn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  clearLkrnMemory();
  const first = inspectLkrnCached(buf, dir);
  t.equal(first.cached, false, 'first read decodes');
  t.equal(readdirSync(dir).filter((f) => f.endsWith('.json')).length, 1, 'and stores the facts');
  clearLkrnMemory();
  const second = inspectLkrnCached(buf, dir);
  t.equal(second.cached, true, 'a second process reads them from disk');
  for (const n of names) t.equal(second.hasCommand(n), first.hasCommand(n), `cached "${n}"`);
  t.same([...second.features], [...first.features]);
  t.equal(second.version, first.version);
  // A damaged cache file is ignored, never trusted.
  clearLkrnMemory();
  writeFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!), '{"format":1,"payloadBytes":1}');
  t.equal(inspectLkrnCached(buf, dir).cached, false, 'a malformed cache entry is decoded again');
});
