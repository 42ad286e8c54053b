import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BootchainError } from '../errors.ts';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Minimal QMP client over a unix socket: connect, negotiate, execute, close. */
export class QmpClient {
  #sock: net.Socket;
  #buf = '';
  #pending: Pending[] = [];
  #closed = false;

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.#onData(d));
    sock.on('close', () => this.#failAll(new Error('QMP connection closed')));
    sock.on('error', (e) => this.#failAll(e));
  }

  /** Retries until QEMU has created the socket (bounded by timeoutMs / signal). */
  static async connect(path: string, timeoutMs: number, signal?: AbortSignal): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown;
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      let sock: net.Socket | undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        // Each attempt is bounded too: a socket that accepts but never greets must not hang the start.
        const left = Math.max(1, deadline - Date.now());
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no QMP greeting within ${left} ms`)), left);
        });
        const attempt = (async () => {
          sock = await new Promise<net.Socket>((resolve, reject) => {
            const s = net.createConnection(path);
            s.once('connect', () => resolve(s));
            s.once('error', reject);
          });
          const c = new QmpClient(sock);
          await c.#next(); // greeting
          await c.execute('qmp_capabilities');
          return c;
        })();
        attempt.catch(() => undefined);
        return await Promise.race([attempt, timeout]);
      } catch (e) {
        sock?.destroy();
        lastErr = e;
        await sleep(5, undefined, signal ? { signal } : {}); // QEMU waits paused (-S) until we connect: retry fast
      } finally {
        if (timer) clearTimeout(timer);
      }
    }
    throw new BootchainError(
      'QMP_CONNECT_FAILED',
      `Could not connect to QEMU's QMP socket ${path} within ${timeoutMs} ms: ${String(lastErr)}`,
      "QEMU probably failed to start: see its stderr",
    );
  }

  #onData(d: string): void {
    this.#buf += d;
    let i: number;
    while ((i = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, i).trim();
      this.#buf = this.#buf.slice(i + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if ('event' in msg) continue; // async events are not needed here
      const p = this.#pending.shift();
      if (!p) continue;
      if ('error' in msg) {
        const err = msg['error'] as { class?: string; desc?: string };
        p.reject(new Error(`QMP error ${err.class ?? ''}: ${err.desc ?? ''}`));
      } else p.resolve(msg['return'] ?? msg['QMP']);
    }
  }

  #failAll(e: Error): void {
    this.#closed = true;
    for (const p of this.#pending.splice(0)) p.reject(e);
  }

  #next(): Promise<unknown> {
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }

  /** Sends one command and waits for its reply. */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('QMP connection closed'));
    const reply = this.#next();
    this.#sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    return reply;
  }

  close(): void {
    this.#closed = true;
    this.#sock.destroy();
  }
}
