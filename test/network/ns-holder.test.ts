// The private network's holder, both kinds (the Perl one by default, the Node one as the fallback): it opens
// the listeners inside a real namespace and hands them over (TCP and UDP, as net.Server and dgram.Socket), it
// answers probes from inside (a closed listener is refused, the others connect), and it ends with close().
// No QEMU: seconds, not a boot.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import t from 'tap';
import { holderCommand, openSandbox } from '../../harness/network/sandbox.ts';

const alive = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

t.test('holderCommand: Perl where its struct layouts are known and perl exists, else Node', async (t) => {
  const spec = { http: [{ ip: '127.0.0.1', port: 80 }, { ip: '198.18.0.10', port: 80 }], dns: { ip: '127.0.0.1', port: 53 } };
  const perl = holderCommand(spec, '/tmp/owner', { arch: 'x64', env: {}, hasPerl: true });
  t.equal(perl[0], '/usr/bin/perl');
  t.equal(basename(perl[1]!), 'ns-holder.pl');
  t.same(perl.slice(2), ['46', '/tmp/owner', 'http=127.0.0.1:80', 'http=198.18.0.10:80', 'dns=127.0.0.1:53'], 'sendmsg nr, owner, one argument per listener');
  t.equal(holderCommand(spec, '/o', { arch: 'arm64', env: {}, hasPerl: true })[2], '211', 'aarch64 has its own syscall number');
  for (const [why, o] of [
    ['an architecture whose layouts the Perl holder does not know', { arch: 'ia32', env: {}, hasPerl: true }],
    ['no /usr/bin/perl', { arch: 'x64', env: {}, hasPerl: false }],
    ['BOOTCHAIN_NS_HOLDER=node', { arch: 'x64', env: { BOOTCHAIN_NS_HOLDER: 'node' }, hasPerl: true }],
  ] as const) {
    const node = holderCommand(spec, '/tmp/owner', o);
    t.equal(node[0], process.execPath, `Node with ${why}`);
    t.equal(basename(node[1]!), 'ns-holder.cjs');
    t.same(JSON.parse(node[2]!), { ...spec, owner: '/tmp/owner' });
  }
});

for (const kind of ['perl', 'node'] as const) {
  t.test(`${kind} holder: listeners handed over, probes answered from inside, gone after close()`, async (t) => {
    if (kind === 'perl' && !existsSync('/usr/bin/perl')) return t.fail('/usr/bin/perl is missing (Debian: perl-base, Essential)');
    const before = process.env['BOOTCHAIN_NS_HOLDER'];
    if (kind === 'node') process.env['BOOTCHAIN_NS_HOLDER'] = 'node';
    else delete process.env['BOOTCHAIN_NS_HOLDER'];
    t.teardown(() => {
      if (before === undefined) delete process.env['BOOTCHAIN_NS_HOLDER'];
      else process.env['BOOTCHAIN_NS_HOLDER'] = before;
    });
    const sb = await openSandbox({ http: [{ ip: '127.0.0.1', port: 80 }, { ip: '198.18.0.10', port: 80 }], unreachable: ['198.18.0.11'], dns: { ip: '127.0.0.1', port: 53 } });
    t.teardown(() => sb.close());
    const { http, dns } = await sb.ready;
    // Read after ready: the setup shell has exec'd into the holder by then.
    const holderArgv = readFileSync(`/proc/${sb.pid}/cmdline`, 'latin1').split('\0');
    t.match(holderArgv.join(' '), kind === 'perl' ? /^\/usr\/bin\/perl \S*ns-holder\.pl / : /node\S* \S*ns-holder\.cjs /, `the ${kind} holder holds the namespace`);
    t.same(http.map((l) => [l.ip, l.port, l.server.listening]), [['127.0.0.1', 80, true], ['198.18.0.10', 80, true]], 'both TCP listeners arrived as listening net.Servers');
    t.same(http.map((l) => (l.server.address() as { address: string; port: number }).address), ['127.0.0.1', '198.18.0.10'], 'bound where asked, inside the namespace');
    t.equal(dns.address().port, 53, 'the UDP socket arrived as a bound dgram.Socket');
    // The namespace as set up by its one `ip -batch`: loopback up, every address local, blackholes unreachable.
    const inside = (args: string[]) => execFileSync('nsenter', [`--target=${sb.pid}`, '--net', ...(sb.privilege === 'root' ? [] : ['--user', '--preserve-credentials']), '--', 'ip', ...args], { encoding: 'utf8' });
    t.match(inside(['-o', 'link', 'show', 'lo']), /<[^>]*\bUP\b[^>]*>/, 'loopback is up');
    t.match(inside(['route', 'show', 'table', 'all']), /local default dev lo/, 'every IPv4 address is local');
    t.match(inside(['route', 'show', 'table', 'all']), /unreachable 198\.18\.0\.11\b/, 'the blackhole address is unreachable');
    t.same(await sb.probeListeners(), [], 'every listener takes connections from inside');
    // A listener that stops: the guest would see the server as down; the holder says so from inside.
    await new Promise<void>((r) => http[1]!.server.close(() => r()));
    const bad = await sb.probeListeners();
    t.same(bad?.map((b) => [b.ip, b.port]), [['198.18.0.10', 80]], 'the closed listener is the one reported');
    t.match(bad?.[0]?.error, /ECONNREFUSED/, 'refused, by name');
    t.same((await sb.probeListeners())?.length, 1, 'a second probe is answered too');
    const pid = sb.pid;
    await sb.close();
    t.notOk(alive(pid), 'the holder is gone after close()');
  });
}
