/**
 * Runs `fn` with an AbortSignal that fires on the first Ctrl-C/SIGTERM, so every owner below can close
 * in order; a second signal exits at once (the machine reaper still kills QEMU's process group).
 */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      process.stderr.write(`\n${sig}: stopping the boot and cleaning up (again to force)\n`);
      ac.abort(new Error(sig));
    } else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
