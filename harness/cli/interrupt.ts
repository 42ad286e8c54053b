import { constants } from 'node:os';
import { formatError } from '../errors.ts';
import type { CliIo } from './io.ts';

const exitCodeOf = (sig: string): number => 128 + (constants.signals[sig as NodeJS.Signals] ?? 1);

/**
 * Runs a command with an AbortSignal that fires on the first Ctrl-C/SIGTERM. Every owner below (machine,
 * stub, mounts) is also registered with the process-wide reaper, which closes them all and exits with
 * 128 + the signal; this layer only makes sure an interrupted command ends with that code and one line,
 * not a stack trace, when it stops before the reaper has anything to close.
 */
export async function withInterrupt(io: CliIo, fn: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const ac = new AbortController();
  let received: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) process.exit(exitCodeOf(received));
    received = sig;
    io.err(`\n${sig}: stopping and cleaning up (again to force)`);
    ac.abort(new Error(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } catch (e) {
    if (received) {
      io.err(`interrupted by ${received}: ${formatError(e).split('\n')[0]}`);
      return exitCodeOf(received);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
