import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootchainError } from '../errors.ts';
import { tempPrefix } from '../leftovers.ts';
import { registerCleanup } from '../reaper.ts';

/**
 * QEMU's gdb stub, reachable at 127.0.0.1:PORT on the host. QEMU runs inside the boot's own network namespace,
 * where 127.0.0.1 is not the host's: the stub listens on a unix socket in a temp dir (the file system is
 * shared, as for QMP) and this forwards each TCP connection to it. Owner of the listener, the connections and
 * the temp dir; close() is idempotent.
 */
export class GdbForward {
  readonly port: number;
  readonly socketPath: string;
  #server: Server;
  #dir: string;
  #conns = new Set<Socket>();
  #closed: Promise<void> | null = null;
  #unregister: () => void;

  private constructor(port: number, server: Server, dir: string) {
    this.port = port;
    this.#server = server;
    this.#dir = dir;
    this.socketPath = join(dir, 'gdb.sock');
    this.#unregister = registerCleanup(() => this.close());
  }

  /** Listens on 127.0.0.1:PORT; a port in use is a usage error (exit 2) before anything else starts. */
  static async open(port: number): Promise<GdbForward> {
    const server = createServer();
    await new Promise<void>((ok, fail) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        fail(new BootchainError('GDB_PORT_IN_USE', `--gdb ${port}: 127.0.0.1:${port} is already in use${e.code === 'EADDRINUSE' ? '' : ` (${e.code})`}`, `pick a free port (--gdb ${port + 1}) or stop what listens there (ss -ltnp 'sport = :${port}')`)),
      );
      server.listen(port, '127.0.0.1', () => ok());
    });
    const f = new GdbForward(port, server, mkdtempSync(join(tmpdir(), tempPrefix('gdb'))));
    server.on('connection', (c) => f.#forward(c));
    return f;
  }

  /** QEMU's `-gdb` argument: a unix socket server that does not wait for gdb to start the machine. */
  qemuArgs(): string[] {
    return ['-gdb', `unix:${this.socketPath},server=on,wait=off`];
  }

  #forward(client: Socket): void {
    const stub = connect(this.socketPath);
    for (const s of [client, stub]) {
      this.#conns.add(s);
      s.on('close', () => this.#conns.delete(s));
      s.on('error', () => {
        client.destroy();
        stub.destroy();
      });
    }
    client.pipe(stub).pipe(client);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const c of this.#conns) c.destroy();
      await new Promise<void>((r) => this.#server.close(() => r()));
      rmSync(this.#dir, { recursive: true, force: true });
      this.#unregister();
    })();
    return this.#closed;
  }
}
