import { registerCleanup, registerExitKill } from '../reaper.ts';

/**
 * Runs `cleanupSync` if the process gets SIGINT/SIGTERM/SIGHUP (through the process-wide reaper, which
 * then exits with 128 + the signal) or exits while the guard is held.
 * Returns the release function; call it once the resource is closed normally.
 */
export function guardSignals(cleanupSync: () => void): () => void {
  const run = () => {
    try {
      cleanupSync();
    } catch {
      /* best effort while dying */
    }
  };
  const offCleanup = registerCleanup(run);
  const offExit = registerExitKill(run);
  return () => {
    offCleanup();
    offExit();
  };
}
