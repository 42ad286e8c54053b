import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { serveDirRoutes, startHttpStub, type RouteDef } from '../../harness/network/index.ts';

/**
 * The stub never serves a byte from outside its folder: every way of asking for a file beyond it is sent as raw
 * bytes over TCP (a client library would normalise "..", decode or refuse half of these before sending), and
 * none brings back a byte of a secret that lies just outside. Each refusal is a 4xx and is in the ledger.
 */

const SECRET = `SECRET-${randomBytes(8).toString('hex')}`;

/** Sends `target` exactly as given (raw bytes) and returns everything the stub answered (it closes: Connection: close). */
function rawRequest(port: number, target: string | Buffer, method = 'GET'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(Buffer.concat([Buffer.from(`${method} `), Buffer.from(target as string, 'latin1'), Buffer.from(' HTTP/1.1\r\nHost: stub\r\nConnection: close\r\n\r\n')])),
    );
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

const statusOf = (raw: Buffer): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw.toString('latin1'))?.[1] ?? 0);
/** The secret in any form a leak could take: as is, base64, hex. */
const leaks = (raw: Buffer): boolean =>
  [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')].some((s) => raw.toString('latin1').includes(s));

function layout(t: Test) {
  const root = t.testdir({
    'secret.txt': SECRET,
    www: {
      'boot.ipxe': '#!ipxe\necho inside\n',
      sub: { 'x.cfg': 'X' },
      'link-in': t.fixture('symlink', 'boot.ipxe'),
      'link-out': t.fixture('symlink', '../secret.txt'),
      'link-abs': t.fixture('symlink', '/etc/passwd'),
      'dir-out': t.fixture('symlink', '..'),
    },
  });
  return { root, www: path.join(root, 'www'), secretAbs: path.join(root, 'secret.txt') };
}

t.test('positive control: the same raw client does get the secret when the stub serves its folder', async (t) => {
  const { root } = layout(t);
  const stub = await startHttpStub({ startedAt: Date.now(), routes: serveDirRoutes(root) });
  t.teardown(() => stub.close());
  const raw = await rawRequest(stub.port, '/secret.txt');
  t.equal(statusOf(raw), 200);
  t.ok(leaks(raw), 'the leak check sees the secret when it is served');
});

t.test('traversal, encodings, absolute paths, backslashes, NUL and symlinks out are refused and logged', async (t) => {
  const { www, secretAbs } = layout(t);
  const routes: RouteDef[] = [{ path: '/files/*', dir: www, name: 'files' }, ...serveDirRoutes(www)];
  const stub = await startHttpStub({ startedAt: Date.now(), routes });
  t.teardown(() => stub.close());

  // Positive controls: files inside (and a symlink that stays inside) are served.
  t.match((await rawRequest(stub.port, '/boot.ipxe')).toString(), /^HTTP\/1\.1 200[\s\S]*echo inside/);
  t.match((await rawRequest(stub.port, '/files/sub/x.cfg')).toString(), /^HTTP\/1\.1 200[\s\S]*\r\n\r\nX$/);
  t.match((await rawRequest(stub.port, '/link-in')).toString(), /^HTTP\/1\.1 200[\s\S]*echo inside/, 'a symlink inside the folder is served');

  const attacks: Array<[string, string | Buffer]> = [
    ['dot-dot', '/../secret.txt'],
    ['dot-dot under a prefix route', '/files/../../secret.txt'],
    ['dot-dot deeper', '/sub/../../secret.txt'],
    ['percent-encoded dots', '/%2e%2e/secret.txt'],
    ['percent-encoded dots (upper case)', '/%2E%2E/secret.txt'],
    ['encoded slash', '/..%2fsecret.txt'],
    ['encoded dots and slashes', '/sub/%2e%2e%2f%2e%2e%2fsecret.txt'],
    ['double-encoded dots', '/%252e%252e/secret.txt'],
    ['double-encoded dots and slash', '/%252e%252e%252fsecret.txt'],
    ['double-encoded under a prefix route', '/files/%252e%252e/%252e%252e/secret.txt'],
    ['absolute path after the prefix', `/${secretAbs}`],
    ['absolute path, encoded slash', `/%2f${secretAbs.slice(1).split('/').join('%2f')}`],
    ['absolute path under a prefix route', `/files/${secretAbs}`],
    ['absolute-form URL', 'http://stub/../secret.txt'],
    ['backslashes', '/..\\secret.txt'],
    ['backslashes deeper', '/sub\\..\\..\\secret.txt'],
    ['encoded backslashes', '/..%5csecret.txt'],
    ['encoded NUL', '/boot.ipxe%00/../../secret.txt'],
    ['encoded NUL after the name', '/../secret.txt%00.ipxe'],
    ['raw NUL byte', Buffer.from('/..\0/secret.txt', 'latin1')],
    ['raw control byte', Buffer.from('/..\x01/secret.txt', 'latin1')],
    ['symlink to a file outside', '/link-out'],
    ['symlink to an absolute path', '/link-abs'],
    ['symlink to the parent folder', '/dir-out/secret.txt'],
    ['symlink to the parent folder, prefix route', '/files/dir-out/secret.txt'],
  ];
  for (const [what, target] of attacks) {
    const before = stub.ledger.length;
    const raw = await rawRequest(stub.port, target);
    const status = statusOf(raw);
    t.ok(status >= 400 && status < 500, `${what}: ${status} (4xx)`);
    t.notOk(leaks(raw), `${what}: no byte of the secret came back`);
    t.notOk(raw.toString('latin1').includes('root:x:0:0'), `${what}: nothing of /etc/passwd came back`);
    await new Promise((r) => setImmediate(r));
    const entry = stub.ledger.slice(before).at(-1);
    t.ok(entry, `${what}: in the ledger`);
    t.ok(entry?.refused, `${what}: the ledger says it was refused (${entry?.refused})`);
    t.equal(entry?.status, status, `${what}: the ledger has the status sent`);
  }
  t.equal(stub.ledger.filter((e) => e.refused).length, attacks.length, 'one refused ledger entry per attempt');
});
