import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket as DgramSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootchainError } from '../errors.ts';
import { projectRoot } from '../project-root.ts';
import { registerCleanup, registerExitKill } from '../reaper.ts';
import { tempPrefix } from '../leftovers.ts';
import { addHolderCpu, procCpuMs } from '../machine/cpu-account.ts';

/** How the namespace is made: as root, or through a user namespace (rootless). */
export type SandboxPrivilege = 'root' | 'user-namespace';

export interface SandboxSpec {
  /** TCP listeners on port 80 to open inside, one per served host address. */
  http: Array<{ ip: string; port: number }>;
  /** Addresses whose packets go nowhere (a host that is `blackhole`: SYNs dropped, iPXE times out). */
  unreachable: string[];
  /** Where the DNS stub answers inside (slirp's DNS proxy asks the resolv.conf nameserver). */
  dns: { ip: string; port: number };
}

/**
 * One boot's private network: a network + mount namespace with only a loopback, in which every IPv4
 * address is local (so an undeclared address is refused at once and nothing can leave), resolv.conf says
 * `nameserver 127.0.0.1`, and the listeners for the stubs are open. QEMU joins it through `wrapper`.
 */
export interface NetworkSandbox {
  readonly privilege: SandboxPrivilege;
  /** PID holding the namespaces. */
  readonly pid: number;
  /** Argv prefix that runs a command (QEMU) inside the namespaces. */
  readonly wrapper: string[];
  /** The resolv.conf a process inside sees (a chrooted QEMU needs its own copy of it). */
  readonly resolvConf: string;
  /**
   * The listening sockets, opened inside and served outside. They arrive while the holder (ns-holder.pl, or
   * ns-holder.cjs) starts, after the namespace itself exists: QEMU can join the namespace meanwhile, paused.
   */
  readonly ready: Promise<{ http: Array<{ ip: string; port: number; server: Server }>; dns: DgramSocket }>;
  /**
   * Resolves (never rejects) with the reason when the holder dies before close(): the namespace is no
   * longer owned, so a boot using it cannot be trusted (the session ends it as an infra error).
   */
  readonly lost: Promise<string>;
  /** Asks the holder to connect to every listener from inside; the ones that refuse (null: the holder cannot answer). */
  probeListeners(): Promise<Array<{ ip: string; port: number; error: string }> | null>;
  close(): Promise<void>;
}

const SETUP_MS = 10_000;
/**
 * sendmsg(2)'s number where the Perl holder knows the struct layouts (LP64 Linux). Elsewhere, or with
 * BOOTCHAIN_NS_HOLDER=node, or without /usr/bin/perl, the Node holder (same protocol, ~130 ms more CPU per boot).
 */
const SENDMSG_NR: Partial<Record<string, number>> = { x64: 46, arm64: 211 };
const PERL = '/usr/bin/perl';

/** The holder's argv: the Perl one (Debian's perl-base is Essential) when it can run here, else the Node one. */
export function holderCommand(spec: Pick<SandboxSpec, 'http' | 'dns'>, owner: string, o: { arch?: string; env?: NodeJS.ProcessEnv; hasPerl?: boolean } = {}): string[] {
  const nr = SENDMSG_NR[o.arch ?? process.arch];
  const env = o.env ?? process.env;
  if (env['BOOTCHAIN_NS_HOLDER'] !== 'node' && nr !== undefined && (o.hasPerl ?? existsSync(PERL))) {
    return [PERL, join(projectRoot(), 'harness/network/ns-holder.pl'), String(nr), owner, ...spec.http.map((l) => `http=${l.ip}:${l.port}`), `dns=${spec.dns.ip}:${spec.dns.port}`];
  }
  return [process.execPath, join(projectRoot(), 'harness/network/ns-holder.cjs'), JSON.stringify({ http: spec.http, dns: spec.dns, owner })];
}

/** Shell steps run inside the fresh namespaces before the holder starts. */
function setupScript(unreachable: string[]): string {
  return [
    'set -e',
    // One `ip` for every step (each exec costs milliseconds on the way to QEMU's start); -batch stops at the
    // first failing line with a non-zero exit.
    "ip -batch - <<'EOF'",
    'link set lo up',
    // Every IPv4 address is this namespace's own: a connection to anything not served is refused at once.
    'route add local default dev lo',
    ...unreachable.map((ip) => `route add unreachable ${ip}/32`),
    'EOF',
    'mount --bind "$0" /etc/resolv.conf',
    'echo ns >&3',
    'exec 3>&-',
    'exec "$@"',
  ].join('\n');
}

/** Opens a private network for one boot (owner: close() is idempotent, registered with the reaper). */
export async function openSandbox(spec: SandboxSpec, signal?: AbortSignal): Promise<NetworkSandbox> {
  const privilege: SandboxPrivilege = process.getuid?.() === 0 ? 'root' : 'user-namespace';
  const dir = await mkdtemp(join(tmpdir(), tempPrefix('net')));
  const resolv = join(dir, 'resolv.conf');
  const resolvConf = `nameserver ${spec.dns.ip}\n`;
  await writeFile(resolv, resolvConf);
  const ns = privilege === 'root' ? ['--net', '--mount'] : ['--user', '--map-root-user', '--net', '--mount'];
  const argv = ['--pdeathsig', 'KILL', '--', 'unshare', ...ns, '--', 'sh', '-c', setupScript(spec.unreachable), resolv, ...holderCommand(spec, dir)];
  let child: ChildProcess;
  try {
    child = spawn('setpriv', argv, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'], detached: false });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let closed: Promise<void> | null = null;
  const lost = new Promise<string>((resolve) =>
    child.once('exit', (code, sig) => {
      if (!closed) resolve(`the private network's holder process (pid ${child.pid}) ended ${sig ? `by ${sig}` : `with exit code ${code}`} during the boot`);
    }),
  );
  const http: Array<{ ip: string; port: number; server: Server }> = [];
  let dns: DgramSocket | null = null;
  const killNow = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const offExit = registerExitKill(killNow);
  let closing = false;
  /** The signal that ended the holder when it was not our close() (someone else killed it). */
  let killedBy: string | null = null;
  child.once('exit', (_code, sig) => {
    if (!closing && sig) killedBy = sig;
  });
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      for (const h of http) h.server.close();
      try {
        dns?.close();
      } catch {
        /* already closed */
      }
      // Benches: the holder's CPU (and its setup's: ip, mount), read while it still exists.
      const cpu = child.pid !== undefined && child.exitCode === null ? procCpuMs(child.pid, true) : null;
      if (cpu !== null) addHolderCpu(cpu);
      if (child.connected) child.disconnect();
      killNow();
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
      offExit();
      offCleanup();
    })());
  const offCleanup = registerCleanup(close);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  const fail = (e: unknown): BootchainError | Error => {
    if ((e as Error).name === 'AbortError' || signal?.aborted) return e as Error;
    // Killed from outside while it set up (not a host that cannot make namespaces): say so, not how to install unshare.
    if (killedBy) {
      return new BootchainError('NETNS_HOLDER_DIED', `the private network's holder process (pid ${child.pid}) was killed by ${killedBy} while it set up the namespace`, 'something on this host killed it (an OOM killer, a process reaper, a test); run the boot again', { cause: e });
    }
    return new BootchainError(
      'NETNS_UNAVAILABLE',
      `cannot create the boot's private network (${privilege === 'root' ? 'unshare --net --mount' : 'unshare --user --map-root-user --net --mount'}): ${(e as Error).message}`,
      privilege === 'root'
        ? 'check that util-linux (unshare, nsenter, setpriv) and iproute2 (ip) are installed and that this container may create namespaces (docker: --privileged or --cap-add SYS_ADMIN); or pass --network user for QEMU user networking without a private network (production hostnames are then not served)'
        : 'run as root, or allow unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 on Debian kernels, user.max_user_namespaces > 0); or pass --network user for QEMU user networking without a private network (production hostnames are then not served)',
      { cause: e },
    );
  };
  const ended = (): Error => new Error(`the namespace setup ended${child.signalCode ? ` (${child.signalCode})` : ` (exit ${child.exitCode})`}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
  const within = <T>(p: Promise<T>, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} from the namespace holder within ${SETUP_MS} ms`)), SETUP_MS);
      const onAbort = (): void => reject(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const onExit = (): void => reject(ended());
      child.once('exit', onExit);
      child.once('error', reject);
      p.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        child.off('exit', onExit);
      });
    });
  // Phase 1: the namespace exists (the setup script wrote "ns" on fd 3): QEMU may join it now.
  const nsUp = new Promise<void>((resolve) => {
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    fd3.once('data', () => resolve());
  });
  // Phase 2: the holder handed over its listening sockets.
  const handles = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { kind: string; ip?: string; port?: number; message?: string }, handle: unknown) => {
      if (m.kind === 'http' && handle) http.push({ ip: m.ip!, port: m.port!, server: handle as Server });
      else if (m.kind === 'dns' && handle) dns = handle as DgramSocket;
      else if (m.kind === 'error') reject(new Error(`inside the namespace: ${m.message}`));
      else if (m.kind === 'ready') resolve();
    });
  });
  try {
    await within(nsUp, 'namespace');
  } catch (e) {
    await close();
    throw fail(e);
  }
  const ready = within(handles, 'listening sockets').then(
    () => {
      child.stderr!.removeAllListeners('data');
      return { http, dns: dns! };
    },
    async (e: unknown) => {
      await close();
      throw fail(e);
    },
  );
  ready.catch(() => undefined); // the caller awaits it; an early failure must not be unhandled meanwhile
  const pid = child.pid!;
  const wrapper = ['nsenter', `--target=${pid}`, ...(privilege === 'root' ? [] : ['--user', '--preserve-credentials']), '--net', '--mount', `--wd=${process.cwd()}`, '--'];
  let probes = 0;
  const probeListeners = (): Promise<Array<{ ip: string; port: number; error: string }> | null> =>
    new Promise((resolve) => {
      if (!child.connected || closed) return resolve(null);
      const id = ++probes;
      const timer = setTimeout(() => finish(null), 3000);
      const onMessage = (m: { kind: string; id?: number; results?: Array<{ ip: string; port: number; error: string | null }> }): void => {
        if (m.kind === 'probe-result' && m.id === id) finish((m.results ?? []).filter((r): r is { ip: string; port: number; error: string } => r.error !== null));
      };
      const finish = (v: Array<{ ip: string; port: number; error: string }> | null): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(v);
      };
      child.on('message', onMessage);
      child.send({ kind: 'probe', id }, (e) => e && finish(null));
    });
  return { privilege, pid, wrapper, resolvConf, ready, lost, probeListeners, close };
}
