import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo, Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BootchainError } from '../errors.ts';
import type { LedgerEntry, RequestEvent } from '../events.ts';
import { registerCleanup } from '../reaper.ts';
import { matchRoute, refusedPath, resolveInside, routeName, validateRoutes, type RouteDef } from './routes.ts';
import { renderTemplate } from './template.ts';

/** Slirp's address for the host's loopback, as the guest sees it. */
export const SLIRP_HOST = '10.0.2.2';

export interface HttpStubOptions {
  routes: RouteDef[];
  host?: string;
  /** Fixed port; absent = a free one chosen by the kernel. */
  port?: number;
  onRequest?: (e: RequestEvent) => void;
  /** Epoch ms that ledger atMs are relative to (normally the machine's start). */
  startedAt: number;
  /** Value of ${marker} in templates. */
  marker?: string;
  /** Host name the guest uses for the stub (default 10.0.2.2; a DNS name inside a namespace). */
  guestHost?: string;
  /** A listening socket to serve (opened inside a boot's private network) instead of listening on host:port. */
  listen?: Server;
  /** The port `listen` is bound to (80 inside a private network). */
  listenPort?: number;
  /** The virtual host this stub is (its name in the ledger); default: the request's Host header. */
  hostName?: string;
}

export interface HttpStub {
  readonly port: number;
  hostUrl(path: string): string;
  guestUrl(path: string): string;
  /** Every request, in arrival order. */
  readonly ledger: LedgerEntry[];
  /** May be replaced after start (e.g. by the boot session). */
  onRequest: ((e: RequestEvent) => void) | undefined;
  /** Epoch ms that ledger atMs count from; the boot session sets it to the machine's start. */
  startedAt: number;
  /**
   * How a route's `delayMs` is waited (default: wall-clock sleep). The boot session replaces it with a wait
   * on the guest's clock, so a delay means the same to the guest under time warp as in real time.
   */
  delay: (ms: number, signal: AbortSignal) => Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Reply {
  status: number;
  body: Buffer;
  route: string | null;
  headers: Record<string, string>;
  /** The route's body faults (truncate, stall, trickle). */
  faults?: Pick<RouteDef, 'truncateTo' | 'stallAfterBytes' | 'trickleBytesPerSec'>;
  /** Why the request was refused (a path reaching outside the served folder or routes). */
  refused?: string;
}

const refusal = (status: number, reason: string, route: string | null = null): Reply => ({
  status, body: Buffer.from(`${status === 400 ? 'bad request' : 'forbidden'}: ${reason}\n`), route, headers: { 'content-type': 'text/plain' }, refused: reason,
});

/** The real path of `file` when it lies inside `dir` (symlinks resolved), else why not. */
async function realInside(dir: string, file: string): Promise<{ real: string } | { refused: string } | null> {
  let real: string;
  let root: string;
  try {
    [real, root] = await Promise.all([fsp.realpath(file), fsp.realpath(dir)]);
  } catch {
    return null; // missing (or a dangling link): a plain 404
  }
  return real === root || real.startsWith(root + path.sep) ? { real } : { refused: 'a symlink leads outside the served folder' };
}

const withSlash = (p: string): string => (p.startsWith('/') ? p : `/${p}`);

/** Starts the HTTP stub (owner object: idempotent close, registered with the reaper). */
export async function startHttpStub(o: HttpStubOptions): Promise<HttpStub> {
  validateRoutes(o.routes);
  const host = o.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const inflight = new Set<Promise<void>>();
  const closing = new AbortController();
  let port = 0;
  const guestBase = (): string => `http://${o.guestHost ?? SLIRP_HOST}${port === 80 ? '' : `:${port}`}`;

  const answer = async (m: ReturnType<typeof matchRoute>, url: { pathname: string }, query: Record<string, string>): Promise<Reply> => {
    const bad = refusedPath(url.pathname);
    if (bad) return refusal(bad.status, bad.reason, m ? routeName(m.route) : null);
    if (!m) return { status: 404, body: Buffer.from('not found\n'), route: null, headers: {} };
    const r = m.route;
    if (r.delayMs) await stub.delay(r.delayMs, closing.signal);
    const headers: Record<string, string> = { 'content-type': r.contentType ?? 'text/plain', ...r.headers };
    const faults: NonNullable<Reply['faults']> = {
      ...(r.truncateTo !== undefined ? { truncateTo: r.truncateTo } : {}),
      ...(r.stallAfterBytes !== undefined ? { stallAfterBytes: r.stallAfterBytes } : {}),
      ...(r.trickleBytesPerSec !== undefined ? { trickleBytesPerSec: r.trickleBytesPerSec } : {}),
    };
    const reply = (status: number, body: string | Buffer): Reply => ({
      status, body: typeof body === 'string' ? Buffer.from(body) : body, route: routeName(r), headers, faults,
    });
    if (r.redirect !== undefined) {
      headers['location'] = r.redirect.startsWith('/') ? `${guestBase()}${r.redirect}` : r.redirect;
      return reply(r.status ?? 302, `redirect to ${headers['location']}\n`);
    }
    const status = r.status ?? 200;
    if (r.template !== undefined)
      return reply(status, renderTemplate(r.template, { stub: guestBase(), path: url.pathname, marker: o.marker ?? '', query }));
    if (r.body !== undefined) return reply(status, r.body);
    let file = r.file ?? (r.dir !== undefined ? resolveInside(r.dir, m.rest) : undefined);
    if (file === null) return refusal(403, 'the path leaves the served folder', routeName(r));
    if (file === undefined) return reply(status, '');
    if (r.dir !== undefined) {
      // Read the resolved file, not the name: no symlink in the folder leads the stub out of it.
      const inside = await realInside(r.dir, file);
      if (inside === null) return reply(404, 'not found\n');
      if ('refused' in inside) return refusal(403, inside.refused, routeName(r));
      file = inside.real;
    }
    try {
      const st = await fsp.stat(file);
      if (!st.isFile()) return reply(404, 'not found\n');
      if (!r.contentType) headers['content-type'] = 'application/octet-stream';
      return reply(status, await fsp.readFile(file));
    } catch {
      return reply(404, 'not found\n');
    }
  };

  const stub: HttpStub = {
    port: 0,
    hostUrl: (p) => `http://${host.includes(':') ? `[${host}]` : host}:${port}${withSlash(p)}`,
    guestUrl: (p) => `${guestBase()}${withSlash(p)}`,
    ledger: [],
    onRequest: o.onRequest,
    startedAt: o.startedAt,
    delay: (ms, signal) => sleep(ms, undefined, { signal }),
    close: async () => undefined,
    [Symbol.asyncDispose]: () => stub.close(),
  };

  const server = http.createServer((req, res) => {
    const atMs = Date.now() - stub.startedAt;
    // Not WHATWG URL: it would normalise "/../x" away, hiding what the client really asked for.
    const rawUrl = req.url ?? '/';
    const qAt = rawUrl.indexOf('?');
    const url = { pathname: qAt < 0 ? rawUrl : rawUrl.slice(0, qAt) };
    const query: Record<string, string> = {};
    new URLSearchParams(qAt < 0 ? '' : rawUrl.slice(qAt + 1)).forEach((v, k) => (query[k] = v));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const matched = matchRoute(o.routes, url.pathname);
    let reply: Reply | null = null;
    let sent = 0;
    let settle!: () => void;
    const done = new Promise<void>((r) => (settle = r));
    inflight.add(done);
    // 'close' fires after a full response and when the client (or close()) cuts it: record once, there.
    res.on('close', () => {
      inflight.delete(done);
      settle();
      const entry: LedgerEntry = {
        atMs, method: req.method ?? 'GET', path: url.pathname, query, url: rawUrl, headers,
        status: reply?.status ?? 0, bytes: sent,
        route: reply?.route ?? (matched ? routeName(matched.route) : null),
        host: o.hostName ?? (headers['host'] ?? '').replace(/:\d+$/, ''),
        ...(reply ? { bodyKind: bodyKind(reply.body, reply.headers['content-type']) } : {}),
        ...(!res.writableFinished ? { cut: true } : {}),
        ...(reply?.refused ? { refused: reply.refused } : {}),
      };
      stub.ledger.push(entry);
      stub.onRequest?.({ kind: 'request', atMs, entry });
    });
    answer(matched, url, query).then(
      (r) => {
        reply = r;
        if (res.destroyed) return;
        const body = req.method === 'HEAD' ? Buffer.alloc(0) : r.body;
        res.writeHead(r.status, { ...r.headers, 'content-length': String(r.body.length) });
        void sendBody(res, body, r.faults ?? {}, closing.signal, (n) => (sent += n));
      },
      () => res.destroy(), // delay aborted by close()
    );
  });
  // A request Node's parser rejects (a raw NUL, a space or a control byte in the target…) never reaches the
  // handler: answer 400 and still put it in the ledger, so the report shows the attempt.
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    const atMs = Date.now() - stub.startedAt;
    const line = (err.rawPacket ?? Buffer.alloc(0)).toString('latin1').split('\r\n')[0] ?? '';
    const [method = '?', target = ''] = line.split(' ');
    const reason = `malformed request (${err.code ?? err.message})`;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
    // Only what the parser refused is a refusal (HPE_*); a socket reset or cut by close() asked nothing.
    if (!err.code?.startsWith('HPE_') || closing.signal.aborted || !line) return;
    const entry: LedgerEntry = {
      atMs, method, path: target, query: {}, url: target, headers: {}, status: 400, bytes: 0, route: null,
      host: o.hostName ?? '', refused: reason,
    };
    stub.ledger.push(entry);
    stub.onRequest?.({ kind: 'request', atMs, entry });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  if (o.listen) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.listen, () => resolve());
    });
    port = o.listenPort ?? 80;
  } else {
    await listen(server, host, o.port ?? 0);
    port = (server.address() as AddressInfo).port;
  }
  (stub as { port: number }).port = port;

  let closed: Promise<void> | null = null;
  const unregister = registerCleanup(() => stub.close());
  stub.close = () =>
    (closed ??= new Promise<void>((resolve) => {
      closing.abort();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    })
      .then(() => Promise.all(inflight)) // cut responses reach the ledger before close() returns
      .then(() => undefined)
      .finally(unregister));
  return stub;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code === 'EADDRINUSE')
        reject(new BootchainError('STUB_PORT_IN_USE', `HTTP stub: port ${port} on ${host} is already in use`,
          `stop what listens there (ss -ltnp 'sport = :${port}') or leave the port unset to pick a free one`, { cause: e }));
      else if (e.code === 'EACCES')
        reject(new BootchainError('STUB_PORT_DENIED', `HTTP stub: not allowed to listen on ${host}:${port}`,
          'ports below 1024 need root; choose a port >= 1024 or leave it unset', { cause: e }));
      else if (e.code === 'EADDRNOTAVAIL')
        reject(new BootchainError('STUB_HOST_INVALID', `HTTP stub: ${host} is not an address of this host`,
          'use 127.0.0.1 (slirp shows it to the guest as 10.0.2.2)', { cause: e }));
      else reject(e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Writes a body with the route's faults: `truncateTo` (the connection closes after that many bytes, short of
 * the Content-Length), `stallAfterBytes` (then nothing more until the client gives up or the stub closes),
 * `trickleBytesPerSec` (a very slow server; the pauses count guest time like delays do).
 */
async function sendBody(res: http.ServerResponse, body: Buffer, f: NonNullable<Reply['faults']>, signal: AbortSignal, count: (n: number) => void): Promise<void> {
  const write = (b: Buffer): void => {
    if (b.length && !res.destroyed) {
      res.write(b);
      count(b.length);
    }
  };
  try {
    if (f.truncateTo !== undefined) {
      write(body.subarray(0, f.truncateTo));
      res.socket?.end(); // flush, then close: the client sees fewer bytes than Content-Length
      return;
    }
    if (f.stallAfterBytes !== undefined) {
      write(body.subarray(0, f.stallAfterBytes));
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      return;
    }
    if (f.trickleBytesPerSec) {
      const chunk = Math.max(1, Math.round(f.trickleBytesPerSec / 10));
      for (let i = 0; i < body.length && !res.destroyed; i += chunk) {
        write(body.subarray(i, i + chunk));
        await sleep(100, undefined, { signal });
      }
      if (!res.destroyed) res.end();
      return;
    }
    count(body.length);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** What a served body is, as iPXE will treat it. */
export function bodyKind(body: Buffer, contentType: string | undefined): NonNullable<LedgerEntry['bodyKind']> {
  if (body.length === 0) return 'empty';
  const head = body.subarray(0, 512).toString('latin1');
  if (/^#!ipxe\b/.test(head)) return 'ipxe-script';
  if (body.length > 0x206 && body.toString('latin1', 0x202, 0x206) === 'HdrS') return 'bzimage';
  if (/^\s*</.test(head) || /text\/html/i.test(contentType ?? '')) return 'html';
  // eslint-disable-next-line no-control-regex
  return /^[\x09\x0a\x0d\x20-\x7e]*$/.test(head) ? 'text' : 'binary';
}
