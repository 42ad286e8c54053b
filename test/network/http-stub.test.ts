import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { isBootchainError } from '../../harness/errors.ts';
import type { RequestEvent } from '../../harness/events.ts';
import { defaultChainRoutes, serveDirRoutes, startHttpStub } from '../../harness/network/index.ts';

t.test('routes, templating with query, ledger, 404, onRequest', async (t) => {
  const dir = t.testdir({ 'a.txt': 'file-a' });
  const events: RequestEvent[] = [];
  const startedAt = Date.now();
  const stub = await startHttpStub({
    startedAt,
    marker: 'MRK',
    onRequest: (e) => events.push(e),
    routes: [
      { path: '/exact', body: 'exact-body', status: 201, headers: { 'x-test': 'yes' } },
      { path: '/tpl', template: 'chain ${stub}/next?s=${query.serial} ${path} ${marker} ${serial} ${query.none}' },
      { path: '/file', file: path.join(dir, 'a.txt') },
      { path: '/pre/*', name: 'prefix', body: 'prefixed' },
    ],
  });
  t.teardown(() => stub.close());
  t.ok(stub.port > 0);
  t.equal(stub.guestUrl('/x'), `http://10.0.2.2:${stub.port}/x`);
  t.equal(stub.guestUrl('x'), `http://10.0.2.2:${stub.port}/x`);

  const r1 = await fetch(stub.hostUrl('/exact'));
  t.equal(r1.status, 201);
  t.equal(r1.headers.get('x-test'), 'yes');
  t.equal(await r1.text(), 'exact-body');

  const r2 = await fetch(stub.hostUrl('/tpl?serial=BC-42&x=1'));
  t.equal(await r2.text(), `chain http://10.0.2.2:${stub.port}/next?s=BC-42 /tpl MRK \${serial} `);

  t.equal(await (await fetch(stub.hostUrl('/file'))).text(), 'file-a');
  t.equal(await (await fetch(stub.hostUrl('/pre/deep/x'))).text(), 'prefixed');
  const r404 = await fetch(stub.hostUrl('/nope?q=1'));
  t.equal(r404.status, 404);
  await r404.text();

  await new Promise((r) => setTimeout(r, 20));
  t.equal(stub.ledger.length, 5);
  const [e1, e2, , e4, e5] = stub.ledger;
  t.match(e1, { method: 'GET', path: '/exact', status: 201, bytes: 10, route: '/exact', url: '/exact' });
  t.match(e2, { path: '/tpl', query: { serial: 'BC-42', x: '1' }, route: '/tpl' });
  t.ok(e2 && e2.headers['host']?.includes(String(stub.port)), 'headers recorded');
  t.match(e4, { route: 'prefix', path: '/pre/deep/x' });
  t.match(e5, { status: 404, route: null, path: '/nope', query: { q: '1' } });
  t.ok(stub.ledger.every((e) => e.atMs >= 0 && e.atMs < 10_000), 'atMs relative to startedAt');
  t.equal(events.length, 5);
  t.equal(events[0]?.kind, 'request');
});

t.test('dir routes refuse traversal, serve files, 404 missing', async (t) => {
  const root = t.testdir({ www: { 'boot.ipxe': '#!ipxe\necho hi\n', sub: { 'x.cfg': 'X' } }, 'secret.txt': 'SECRET' });
  const stub = await startHttpStub({ startedAt: Date.now(), routes: serveDirRoutes(path.join(root, 'www')) });
  t.teardown(() => stub.close());
  t.equal(await (await fetch(stub.hostUrl('/boot.ipxe'))).text(), '#!ipxe\necho hi\n');
  t.equal(await (await fetch(stub.hostUrl('/sub/x.cfg'))).text(), 'X');
  const miss = await fetch(stub.hostUrl('/missing'));
  t.equal(miss.status, 404);
  // fetch normalises "..", so speak raw HTTP to send it as-is.
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/sub/..%2f..%2fsecret.txt']) {
    const raw = await rawGet(stub.port, p);
    t.match(raw, /^HTTP\/1\.1 403/, `refused ${p}`);
    t.notMatch(raw, /SECRET/);
  }
  t.equal(stub.ledger.at(-1)?.status, 403);
});

t.test('defaultChainRoutes answers every path with the marker script', async (t) => {
  const stub = await startHttpStub({ startedAt: Date.now(), routes: defaultChainRoutes('MARK-1') });
  t.teardown(() => stub.close());
  t.equal(await (await fetch(stub.hostUrl('/any/thing.ipxe?serial=1'))).text(), '#!ipxe\necho MARK-1\n');
  t.equal(stub.ledger[0]?.route, 'default-chain');
});

t.test('port in use is a BootchainError naming the port', async (t) => {
  const a = await startHttpStub({ startedAt: Date.now(), routes: [] });
  t.teardown(() => a.close());
  const err = await startHttpStub({ startedAt: Date.now(), routes: [], port: a.port }).catch((e: unknown) => e);
  t.ok(isBootchainError(err));
  if (isBootchainError(err)) {
    t.equal(err.code, 'STUB_PORT_IN_USE');
    t.match(err.message, String(a.port));
    t.ok(err.hint);
  }
});

t.test('invalid routes are rejected eagerly', async (t) => {
  await t.rejects(startHttpStub({ startedAt: 0, routes: [{ path: 'x' }] }), { code: 'STUB_ROUTE_INVALID' });
  await t.rejects(startHttpStub({ startedAt: 0, routes: [{ path: '/x', body: 'a', template: 'b' }] }), { code: 'STUB_ROUTE_INVALID' });
  await t.rejects(startHttpStub({ startedAt: 0, routes: [{ path: '/x', file: '/nonexistent/file' }] }), /nonexistent/);
  await t.rejects(startHttpStub({ startedAt: 0, routes: [{ path: '/x', dir: '/tmp' }] }), /prefix/);
});

t.test('close is idempotent, cuts delayed requests, frees the port', async (t) => {
  const stub = await startHttpStub({ startedAt: Date.now(), routes: [{ path: '/slow', body: 'late', delayMs: 10_000 }] });
  const pending = fetch(stub.hostUrl('/slow')).then(
    () => 'answered',
    () => 'cut',
  );
  await new Promise((r) => setTimeout(r, 50));
  await Promise.all([stub.close(), stub.close()]);
  t.equal(await pending, 'cut', 'close did not wait for the 10 s delay: the request was cut');
  t.equal(stub.ledger[0]?.status, 0, 'the cut request is in the ledger, unanswered');
  t.equal(stub.ledger[0]?.route, '/slow');
  const again = await startHttpStub({ startedAt: Date.now(), routes: [], port: stub.port });
  await again.close();
  t.equal(fs.existsSync('/nonexistent'), false);
});

function rawGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(port, '127.0.0.1', () => s.write(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (buf += d));
    s.on('end', () => resolve(buf));
    s.on('error', reject);
  });
}

t.test('route faults: redirect, truncate, stall, trickle — and the ledger says what was sent', async (t) => {
  const body = '#!ipxe\necho a config of some length\n';
  const stub = await startHttpStub({
    startedAt: Date.now(),
    routes: [
      { path: '/moved', redirect: '/here' },
      { path: '/cut', body, truncateTo: 10 },
      { path: '/stall', body, stallAfterBytes: 5 },
      { path: '/slow', body, trickleBytesPerSec: 200 },
      { path: '/page', body: '<html>error</html>', contentType: 'text/html' },
    ],
  });
  t.teardown(() => stub.close());
  const raw = (p: string) =>
    new Promise<{ head: string; body: Buffer; ended: 'end' | 'close' }>((resolve) => {
      const s = net.createConnection(stub.port, '127.0.0.1', () => s.write(`GET ${p} HTTP/1.1\r\nHost: cfg.example.org\r\nConnection: close\r\n\r\n`));
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      const done = (ended: 'end' | 'close') => {
        const all = Buffer.concat(chunks).toString('latin1');
        const at = all.indexOf('\r\n\r\n');
        resolve({ head: all.slice(0, at), body: Buffer.from(all.slice(at + 4), 'latin1'), ended });
      };
      s.on('end', () => done('end'));
      s.on('error', () => done('close'));
    });
  const moved = await raw('/moved');
  t.match(moved.head, /^HTTP\/1\.1 302/);
  t.match(moved.head, /location: http:\/\/10\.0\.2\.2:\d+\/here/i, 'a stub path redirects to the stub as the guest sees it');
  const cut = await raw('/cut');
  t.match(cut.head, new RegExp(`content-length: ${body.length}`, 'i'), 'the header promises the whole body');
  t.equal(cut.body.length, 10, 'only 10 bytes arrive, then the connection closes');
  const slow = await raw('/slow');
  t.equal(slow.body.toString(), body, 'a trickle still delivers the whole body');
  const stalled = raw('/stall');
  await new Promise((r) => setTimeout(r, 300));
  await stub.close();
  t.equal((await stalled).body.length, 5, 'a stall sends 5 bytes, then nothing until the stub closes');
  const byPath = Object.fromEntries(stub.ledger.map((e) => [e.path, e]));
  t.match(byPath['/cut'], { status: 200, bytes: 10, cut: true, host: 'cfg.example.org', bodyKind: 'ipxe-script' });
  t.match(byPath['/stall'], { bytes: 5, cut: true });
  t.match(byPath['/slow'], { bytes: body.length });
  t.notOk(byPath['/slow']!.cut);
  t.match(byPath['/moved'], { status: 302 });
});
