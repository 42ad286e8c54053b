import fs from 'node:fs';
import path from 'node:path';
import { BootchainError } from '../errors.ts';

/** One stub route. Typed data: scenarios list these. */
export interface RouteDef {
  /** Exact path, or a prefix ending in '*' ("/configs/*", "*" = everything). */
  path: string;
  /** Name shown in the ledger (default: `path`). */
  name?: string;
  status?: number;
  body?: string;
  /** Host file served as the body (read per request). */
  file?: string;
  /** Serve files under this dir for the part of the request path after the prefix. */
  dir?: string;
  /** Body with ${stub}, ${query.NAME}, ${path}, ${marker} substituted (other ${…} left for iPXE). */
  template?: string;
  contentType?: string;
  delayMs?: number;
  headers?: Record<string, string>;
  /** Answer a redirect (status default 302) to this URL or stub path. */
  redirect?: string;
  /** Send only this many body bytes, then close: fewer than the Content-Length says. */
  truncateTo?: number;
  /** Send this many body bytes, then stall (nothing more) until the client gives up. */
  stallAfterBytes?: number;
  /** Send the body this slowly (a very slow trickle). */
  trickleBytesPerSec?: number;
}

/** Checks routes eagerly; errors name the route and field. */
export function validateRoutes(routes: RouteDef[]): void {
  routes.forEach((r, i) => {
    const where = `route #${i + 1} (${JSON.stringify(r.path)})`;
    const bad = (field: string, msg: string): BootchainError =>
      new BootchainError('STUB_ROUTE_INVALID', `${where}: \`${field}\` ${msg}`, 'fix the route definition');
    if (typeof r.path !== 'string' || !(r.path.startsWith('/') || r.path === '*'))
      throw bad('path', 'must start with "/" (or be "*")');
    const sources = (['body', 'file', 'dir', 'template'] as const).filter((k) => r[k] !== undefined);
    if (sources.length > 1) throw bad(sources.join('/'), 'are exclusive: give only one body source');
    if (r.dir !== undefined && !r.path.endsWith('*')) throw bad('dir', 'needs a prefix path ending in "*"');
    if (r.status !== undefined && (!Number.isInteger(r.status) || r.status < 100 || r.status > 599))
      throw bad('status', `must be an HTTP status 100..599, got ${String(r.status)}`);
    if (r.delayMs !== undefined && !(Number.isFinite(r.delayMs) && r.delayMs >= 0))
      throw bad('delayMs', `must be a non-negative number, got ${String(r.delayMs)}`);
    for (const k of ['truncateTo', 'stallAfterBytes', 'trickleBytesPerSec'] as const)
      if (r[k] !== undefined && !(Number.isInteger(r[k]) && (r[k] as number) >= (k === 'trickleBytesPerSec' ? 1 : 0)))
        throw bad(k, `must be a ${k === 'trickleBytesPerSec' ? 'positive' : 'non-negative'} integer, got ${String(r[k])}`);
    const faults = (['truncateTo', 'stallAfterBytes', 'trickleBytesPerSec', 'redirect'] as const).filter((k) => r[k] !== undefined);
    if (faults.length > 1) throw bad(faults.join('/'), 'are exclusive: give one fault per route');
    if (r.file !== undefined && !fs.existsSync(r.file)) throw bad('file', `names a missing host file ${r.file}`);
    if (r.dir !== undefined && !fs.statSync(r.dir, { throwIfNoEntry: false })?.isDirectory())
      throw bad('dir', `names a missing host directory ${r.dir}`);
  });
}

/** First route whose exact path or '*' prefix matches; the part after the prefix as `rest`. */
export function matchRoute(routes: RouteDef[], reqPath: string): { route: RouteDef; rest: string } | null {
  for (const route of routes) {
    if (route.path.endsWith('*')) {
      const prefix = route.path.slice(0, -1);
      if (reqPath.startsWith(prefix)) return { route, rest: reqPath.slice(prefix.length) };
    } else if (route.path === reqPath) return { route, rest: '' };
  }
  return null;
}

/**
 * Why the stub refuses a request path before any route sees it, or null. A real iPXE request never has any of
 * these; each is a way to reach outside a served folder (or to hide that from a check): a target that is not a
 * path (absolute-form URL, `*`), `..` segments (raw, %2e%2e or %2f-joined), an empty segment (`//etc/passwd`
 * would be absolute inside the folder), backslashes, NUL and other control bytes, and percent-encoding left
 * after one decoding (%252e%252e: a second decoder would turn it into `..`).
 */
export function refusedPath(pathname: string): { status: 400 | 403; reason: string } | null {
  const bad = (reason: string) => ({ status: 400 as const, reason });
  const out = (reason: string) => ({ status: 403 as const, reason });
  if (!pathname.startsWith('/')) return bad('the request target is not a path (absolute URL or "*")');
  if (pathname.includes('\\')) return bad('backslash in the path');
  let p: string;
  try {
    p = decodeURIComponent(pathname);
  } catch {
    return bad('malformed percent-encoding in the path');
  }
  if (p.includes('\0')) return bad('NUL byte in the path');
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f]/.test(p)) return bad('control character in the path');
  if (p.includes('\\')) return bad('encoded backslash in the path');
  if (/%[0-9a-f]{2}/i.test(p)) return bad('double percent-encoding in the path');
  const segments = p.slice(1).split('/');
  if (segments.includes('..')) return out('".." in the path leaves the served folder');
  if (segments.slice(0, -1).includes('')) return out('empty segment ("//"): an absolute path inside the served folder');
  return null;
}

/** Resolves `rest` inside `dir`; null when it would leave the dir (.., absolute, NUL). */
export function resolveInside(dir: string, rest: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(rest);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.split(/[\\/]/).includes('..')) return null;
  const root = path.resolve(dir);
  const full = path.resolve(root, '.' + path.sep + rel);
  return full === root || full.startsWith(root + path.sep) ? full : null;
}

export function routeName(r: RouteDef): string {
  return r.name ?? r.path;
}

/** Default for `bootchain boot` without --serve: any path answers an iPXE script echoing the marker. */
export function defaultChainRoutes(marker: string): RouteDef[] {
  return [{ path: '/*', name: 'default-chain', template: `#!ipxe\necho ${marker}\n`, contentType: 'text/plain' }];
}

/** Serves the files of a host directory at the stub's root. */
export function serveDirRoutes(dir: string): RouteDef[] {
  return [{ path: '/*', name: `dir:${dir}`, dir }];
}
