import t from 'tap';
import { parseHostFlags } from '../../harness/cli/boot-command.ts';
import { bodyKind } from '../../harness/network/http-stub.ts';
import { isValidHostName, validateHosts } from '../../harness/network/private-network.ts';
import { validateRoutes } from '../../harness/network/routes.ts';
import { checkLedger } from '../../harness/scenario/run-scenario.ts';
import { validateScenario } from '../../harness/scenario/validate.ts';
import type { LedgerEntry } from '../../harness/events.ts';

t.test('host names', async (t) => {
  for (const ok of ['ipxe1.example.org', 'a', 'x-1.y-2.example', 'A.B.C']) t.ok(isValidHostName(ok), ok);
  for (const bad of ['', 'bad_name', '-a.org', 'a-.org', 'a..org', '10.0.2.2', 'a'.repeat(64) + '.org', 'ä.org']) t.notOk(isValidHostName(bad), bad);
  t.throws(() => validateHosts([{ name: 'a.org', serve: 'down' }, { name: 'A.org', serve: 'down' }]), { code: 'HOST_DUPLICATE' });
});

t.test('--host flags: NAME=DIR, NAME=down, NAME=blackhole; bad input names the flag', async (t) => {
  const dir = t.testdir({ 'boot.ipxe': '#!ipxe\n' });
  const h = parseHostFlags([`a.example.org=${dir}`, 'b.example.org=down', 'c.example.org=blackhole']);
  t.same(h.map((x) => [x.name, typeof x.serve === 'string' ? x.serve : 'routes']), [['a.example.org', 'routes'], ['b.example.org', 'down'], ['c.example.org', 'blackhole']]);
  t.throws(() => parseHostFlags(['no-equals']), { code: 'USAGE', message: /NAME=DIR/ });
  t.throws(() => parseHostFlags(['bad_name=down']), { code: 'USAGE', message: /not a valid DNS host name/ });
  t.throws(() => parseHostFlags(['x.org=/nonexistent/dir']), { code: 'USAGE', message: /not a directory/ });
  t.throws(() => parseHostFlags(['x.org=down', 'X.org=blackhole']), { code: 'USAGE', message: /given twice/ });
});

t.test('scenario hosts: one of routes, dir, down, blackhole', async (t) => {
  const base = { description: 'x', image: 'hypersolid-cloud', expect: { pass: 'chain' } };
  t.doesNotThrow(() => validateScenario({ ...base, hosts: { 'a.org': 'down', 'b.org': { routes: [{ path: '/x', body: 'y' }] }, 'c.org': { dir: 'files' } } }, 'x.ts'));
  t.throws(() => validateScenario({ ...base, hosts: { 'a.org': { routes: [], down: true } } }, 'x.ts'), /hosts\["a.org"\]\.down.*not routes and down/);
  t.throws(() => validateScenario({ ...base, hosts: { 'a.org': { routes: [], dir: 'd' } } }, 'x.ts'), /exactly one of `routes` or `dir`/);
  t.throws(() => validateScenario({ ...base, hosts: { bad_name: 'down' } }, 'x.ts'), /hosts\["bad_name"\].*not a valid DNS host name/);
  t.throws(() => validateScenario({ ...base, network: 'user', hosts: { 'a.org': 'down' } }, 'x.ts'), /needs the private network/);
  t.throws(() => validateScenario({ ...base, network: 'bridge' }, 'x.ts'), /network/);
});

t.test('route faults are validated and exclusive', async (t) => {
  t.doesNotThrow(() => validateRoutes([{ path: '/a', body: 'x', truncateTo: 1 }, { path: '/b', redirect: '/a' }, { path: '/c', body: 'x', trickleBytesPerSec: 10 }]));
  t.throws(() => validateRoutes([{ path: '/a', body: 'x', truncateTo: -1 }]), /truncateTo/);
  t.throws(() => validateRoutes([{ path: '/a', body: 'x', truncateTo: 1, stallAfterBytes: 2 }]), /exclusive/);
  t.throws(() => validateRoutes([{ path: '/a', body: 'x', trickleBytesPerSec: 0 }]), /trickleBytesPerSec/);
});

t.test('what a body is, as iPXE will treat it', async (t) => {
  t.equal(bodyKind(Buffer.from('#!ipxe\necho x\n'), 'text/plain'), 'ipxe-script');
  t.equal(bodyKind(Buffer.from('<html><body>Error</body></html>'), 'text/plain'), 'html');
  t.equal(bodyKind(Buffer.from('Service unavailable'), 'text/html'), 'html');
  t.equal(bodyKind(Buffer.from('dhcp\nchain http://x/y\n'), 'text/plain'), 'text', 'a script without #!ipxe');
  t.equal(bodyKind(Buffer.from([0x4d, 0x5a, 0, 1, 2]), 'application/octet-stream'), 'binary');
  t.equal(bodyKind(Buffer.alloc(0), undefined), 'empty');
});

t.test('ledger and DNS expectations: presence, counts, order, host', async (t) => {
  const e = (host: string, path: string, status = 200, atMs = 1): LedgerEntry => ({ atMs, method: 'GET', path, query: { serial: 'S1' }, url: `${path}?serial=S1`, headers: {}, status, bytes: 1, route: path, host });
  const ledger = [e('p.org', '/a', 302), e('p.org', '/b'), e('s.org', '/a')];
  const def = { description: 'x', image: 'x', expect: { pass: 'chain' } } as const;
  t.same(checkLedger({ ...def, ledger: [{ host: 'p.org', path: '/a', status: 302 }, { host: 's.org', query: { serial: '${serial}' }, count: 1 }, { host: 'q.org', count: 0 }] }, ledger, [], 'S1'), []);
  t.match(checkLedger({ ...def, ledger: [{ host: 'q.org' }] }, ledger, [], 'S1'), [/ledger holds 0 × any q\.org\/\*, expected at least 1; it holds: GET p\.org\/a\?serial=S1 → 302/]);
  t.match(checkLedger({ ...def, ledger: [{ host: 'p.org', count: 1 }] }, ledger, [], 'S1'), [/holds 2 × .*expected 1/]);
  t.match(checkLedger({ ...def, ledgerInOrder: true, ledger: [{ host: 's.org' }, { host: 'p.org', path: '/b' }] }, ledger, [], 'S1'), [/did not come after/]);
  const dns = [{ atMs: 1, name: 'p.org', type: 'A', answer: '198.18.0.10', rcode: 'NOERROR' as const }, { atMs: 2, name: 'x.org', type: 'A', answer: null, rcode: 'NXDOMAIN' as const }];
  t.same(checkLedger({ ...def, dns: [{ name: 'P.org', answered: true }, { name: 'x.org', answered: false, count: 1 }] }, [], dns, 'S1'), []);
  t.match(checkLedger({ ...def, dns: [{ name: 'x.org', answered: true }] }, [], dns, 'S1'), [/DNS: 0 × any x\.org \(answered\)/]);
});
