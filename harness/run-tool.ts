import { execa, type Options } from 'execa';
import { registerExitKill } from './reaper.ts';

/**
 * Runs a short-lived host tool (sfdisk, mke2fs, debugfs, pigz, …) with execa, owned by the reaper
 * instead of execa's own signal-exit cleanup. signal-exit counts its callbacks, not its listeners: with
 * two tools running at once it mistakes itself for the only SIGINT listener and re-raises the signal,
 * killing bootchain before its reaper removed temp outputs. Here a signal reaches the reaper, and a
 * tool still running when the process exits is killed.
 */
export function runTool<O extends Options = Options>(file: string, args: readonly string[] = [], options?: O) {
  const child = execa(file, args, { ...options, cleanup: false } as O & { cleanup: false });
  let done = false;
  const off = registerExitKill(() => {
    if (!done) child.kill('SIGKILL');
  });
  const end = (): void => {
    done = true;
    off();
  };
  void child.then(end, end);
  return child;
}
