import type { LedgerEntry } from '../events.ts';
import { BootchainError } from '../errors.ts';
import { startDnsStub, type DnsQueryEntry, type DnsStub } from './dns-stub.ts';
import { SLIRP_HOST, startHttpStub, type HttpStub } from './http-stub.ts';
import type { RouteDef } from './routes.ts';
import { openSandbox, type NetworkSandbox, type SandboxPrivilege } from './sandbox.ts';

/**
 * How the guest's network is made.
 * - `private` (default): QEMU user networking inside the boot's own network namespace; hosts are served on
 *   port 80 under their real names by a DNS stub, and nothing else is reachable.
 * - `user`: QEMU user networking in the host's namespace (the stub on a free port of 127.0.0.1, reached as
 *   10.0.2.2:PORT; real names resolve through the host's DNS). Explicit choice only.
 */
export type NetworkChoice = 'private' | 'user';

/** A host name the guest can reach, and what it finds there. */
export interface VirtualHost {
  name: string;
  /** `routes`: served on port 80; `down`: connection refused; `blackhole`: no answer at all (SYNs dropped). */
  serve: { routes: RouteDef[] } | 'down' | 'blackhole';
}

export interface PrivateNetworkOptions {
  /** Served at the guest's 10.0.2.2:80 (the DHCP filename / `{{stub}}` routes). */
  defaultRoutes: RouteDef[];
  hosts: VirtualHost[];
  startedAt: number;
  marker: string;
  /** Called for each stub as it is created, before it can take a request (ledger events, guest-time delays). */
  wire?: (stub: HttpStub) => void;
  signal?: AbortSignal;
}

export interface PrivateNetwork {
  readonly privilege: SandboxPrivilege;
  /** Argv prefix that runs QEMU inside (usable as soon as this object exists). */
  readonly wrapper: string[];
  /** The resolv.conf QEMU sees inside (slirp's DNS proxy reads it; a chrooted QEMU gets a copy). */
  readonly resolvConf: string;
  /** The guest URL of the default stub for a path (http://10.0.2.2/PATH). */
  guestUrl(path: string): string;
  /** Resolves once every stub serves (QEMU joined meanwhile, paused): gate the guest's start on it. */
  readonly ready: Promise<void>;
  /** The 10.0.2.2 stub first, then one per served host (filled when `ready`). */
  readonly stubs: HttpStub[];
  /** Where each name resolves (host name → address). */
  readonly addresses: ReadonlyMap<string, string>;
  /** Every request of every stub, in arrival order. */
  ledger(): LedgerEntry[];
  dnsQueries(): DnsQueryEntry[];
  /**
   * Hands the network to the boot that uses it (when it was opened early, e.g. while the image was being
   * mapped): every stub, made or to be made, is wired, and ledger times count from `startedAt`.
   */
  attach(o: { wire: (stub: HttpStub) => void; startedAt: number }): void;
  /** Resolves with the reason when the network stops being what the boot was promised (its holder died, a listener failed) before close(). */
  readonly lost: Promise<string>;
  /** Why the stubs could not have answered the guest (a listener refuses connections from inside), or null. */
  checkListeners(): Promise<string | null>;
  close(): Promise<void>;
}

/** Addresses handed to virtual hosts: RFC 2544's benchmarking range, never a production network. */
const HOST_NET = '198.18.0.';
const FIRST_HOST = 10;
/** A valid DNS name: labels of letters, digits and inner hyphens, 1..63 each, 253 in all. */
const DNS_NAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function isValidHostName(name: string): boolean {
  return DNS_NAME_RE.test(name) && !/^\d+(\.\d+){3}$/.test(name);
}

/** Checks virtual hosts (names, duplicates) with errors that name the host. */
export function validateHosts(hosts: VirtualHost[], where = 'hosts'): void {
  const seen = new Set<string>();
  for (const h of hosts) {
    if (!isValidHostName(h.name)) throw new BootchainError('HOST_NAME_INVALID', `${where}: "${h.name}" is not a valid DNS host name`, 'use letters, digits, "-" and dots, e.g. ipxe1.example.org');
    const key = h.name.toLowerCase();
    if (seen.has(key)) throw new BootchainError('HOST_DUPLICATE', `${where}: host "${h.name}" is given twice`, 'give each host name once');
    seen.add(key);
  }
}

/**
 * Opens the boot's private network: the namespace, the DNS stub, the default stub (10.0.2.2:80) and one
 * HTTP stub per served host. One owner: close() ends all of them (idempotent).
 */
export async function openPrivateNetwork(o: PrivateNetworkOptions): Promise<PrivateNetwork> {
  validateHosts(o.hosts);
  const addresses = new Map<string, string>();
  o.hosts.forEach((h, i) => addresses.set(h.name.toLowerCase(), `${HOST_NET}${FIRST_HOST + i}`));
  const served = o.hosts.filter((h) => typeof h.serve === 'object');
  const sandbox: NetworkSandbox = await openSandbox(
    {
      http: [{ ip: '127.0.0.1', port: 80 }, ...served.map((h) => ({ ip: addresses.get(h.name.toLowerCase())!, port: 80 }))],
      unreachable: o.hosts.filter((h) => h.serve === 'blackhole').map((h) => addresses.get(h.name.toLowerCase())!),
      dns: { ip: '127.0.0.1', port: 53 },
    },
    o.signal,
  );
  const stubs: HttpStub[] = [];
  let dns: DnsStub | null = null;
  let wire = o.wire;
  let startedAt = o.startedAt;
  const serve = async (): Promise<void> => {
    const { http, dns: dnsSocket } = await sandbox.ready;
    const listenerOf = (ip: string) => http.find((l) => l.ip === ip)!.server;
    const add = async (routes: RouteDef[], ip: string, name: string): Promise<void> => {
      const s = await startHttpStub({ routes, startedAt, marker: o.marker, listen: listenerOf(ip), listenPort: 80, guestHost: name, hostName: name });
      wire?.(s);
      stubs.push(s);
    };
    await add(o.defaultRoutes, '127.0.0.1', SLIRP_HOST);
    for (const h of served) await add((h.serve as { routes: RouteDef[] }).routes, addresses.get(h.name.toLowerCase())!, h.name);
    dns = startDnsStub(dnsSocket, addresses, startedAt);
  };
  let closed: Promise<void> | null = null;
  let reportLost: (why: string) => void = () => undefined;
  const lost = Promise.race([sandbox.lost, new Promise<string>((r) => (reportLost = r))]);
  // A listener that fails after the holder handed it over (e.g. its socket destroyed) no longer serves the guest.
  void sandbox.ready.then(({ http }) => {
    for (const l of http) l.server.on('error', (e: Error) => void (closed ?? reportLost(`the stub's listening socket ${l.ip}:${l.port} failed during the boot: ${e.message}`)));
  }, () => undefined);
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      await Promise.allSettled(stubs.map((s) => s.close()));
      dns?.close();
      await sandbox.close();
    })());
  const ready = serve().catch(async (e: unknown) => {
    await close();
    throw e;
  });
  ready.catch(() => undefined);
  return {
    privilege: sandbox.privilege,
    wrapper: sandbox.wrapper,
    resolvConf: sandbox.resolvConf,
    guestUrl: (p) => `http://${SLIRP_HOST}${p.startsWith('/') ? p : `/${p}`}`,
    ready,
    stubs,
    addresses,
    ledger: () => stubs.flatMap((s) => s.ledger).sort((a, b) => a.atMs - b.atMs),
    dnsQueries: () => [...(dns?.queries ?? [])],
    attach: (a) => {
      wire = a.wire;
      startedAt = a.startedAt;
      for (const s of stubs) a.wire(s);
      if (dns) dns.startedAt = a.startedAt;
    },
    lost,
    checkListeners: async () => {
      const bad = await sandbox.probeListeners();
      if (!bad?.length) return null;
      return `the stub's listening socket${bad.length > 1 ? 's' : ''} ${bad.map((b) => `${b.ip}:${b.port} (${b.error})`).join(', ')} stopped taking connections during the boot: the guest's failure may be the harness's, not the image's`;
    },
    close,
  };
}
