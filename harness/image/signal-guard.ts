const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `cleanupSync` if the process gets SIGINT/SIGTERM/SIGHUP while the guard is held, then
 * lets the signal take its default course (re-raised when no other handler remains).
 * Returns the release function; call it once the resource is closed normally.
 */
export function guardSignals(cleanupSync: () => void): () => void {
  let released = false;
  const handler = (sig: NodeJS.Signals) => {
    release();
    try { cleanupSync(); } catch { /* best effort while dying */ }
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const release = () => {
    if (released) return;
    released = true;
    for (const s of SIGNALS) process.off(s, handler);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return release;
}
