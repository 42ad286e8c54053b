import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Kills a process group when the harness dies, however it dies (SIGKILL included). QEMU's parent-death signal
 * (`setpriv --pdeathsig`) does not survive its `-runas` drop: the kernel clears it when a process changes its
 * uid. This watcher stays root, in its own process group, blocked reading a pipe only the harness holds; when
 * the harness goes, the kernel closes the pipe and the watcher kills the group. The returned release() lets it
 * end without killing anything (QEMU already gone or stopped by its owner).
 */
export function guardGroup(pgid: number): () => void {
  let released = false;
  try {
    const child = spawn('/bin/sh', ['-c', 'read _ || kill -KILL "-$1" 2>/dev/null', 'sh', String(pgid)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: {},
    });
    child.on('error', () => undefined);
    child.stdin!.on('error', () => undefined);
    child.unref();
    (child.stdin as unknown as Socket).unref();
    return () => {
      if (released) return;
      released = true;
      // A line (not EOF): `read` succeeds and the watcher ends without killing.
      if (child.exitCode === null && child.signalCode === null) child.stdin!.end('\n');
    };
  } catch {
    return () => undefined;
  }
}
