import { constants } from 'node:os';
import { formatError } from '../errors.ts';
import { registerCleanup } from '../reaper.ts';
import type { CliIo } from './io.ts';

/** How long an interrupted command may take to close and write its artifacts before the exit. */
const FINISH_MS = 5000;

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
  // The reaper exits the process once its cleanups are done: one of them is this command finishing
  // (bounded), so an interrupted boot still writes its artifacts and report before the exit.
  const running = fn(ac.signal);
  const settled = running.then(
    () => undefined,
    () => undefined,
  );
  const unregister = registerCleanup(() => Promise.race([settled, new Promise<void>((r) => setTimeout(r, FINISH_MS).unref())]));
  try {
    return await running;
  } catch (e) {
    if (received) {
      const aborted = (e as { name?: string }).name === 'AbortError';
      io.err(`interrupted by ${received}${aborted ? ' before the boot finished' : `: ${formatError(e).split('\n')[0]}`}`);
      return exitCodeOf(received);
    }
    throw e;
  } finally {
    unregister();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
