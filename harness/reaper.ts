/**
 * Process-wide cleanup registry. Every owner (Machine, HTTP stub, namespace…) registers its
 * close(); on SIGINT/SIGTERM/SIGHUP all run, then the process exits with 128 + the signal number. On plain process exit only synchronous last-resort kills can run (registerExitKill).
 */
import { constants } from 'node:os';

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
const exitKills = new Set<() => void>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;
let reaping: Promise<void> | null = null;

function onSignal(sig: NodeJS.Signals): void {
  if (reaping) {
    // Second signal while cleaning up: give up on politeness, kill synchronously and go.
    runExitKills();
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  // Exit with the shell's code for the signal (130 for SIGINT, 143 for SIGTERM) once everything is closed.
  // Re-raising would not end the process while other listeners (execa, the CLI) are registered.
  reaping = reapAll().finally(() => {
    runExitKills();
    process.exit(128 + (constants.signals[sig] ?? 1));
  });
}

function runExitKills(): void {
  for (const k of exitKills) {
    try {
      k();
    } catch {
      /* best effort at exit */
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', runExitKills);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', runExitKills);
}

function maybeUninstall(): void {
  // Our signal handlers must not keep a finished process from dying on Ctrl-C.
  if (cleanups.size === 0 && exitKills.size === 0 && !reaping) uninstall();
}

/** Registers an async cleanup; returns the function that unregisters it (call it from close()). */
export function registerCleanup(fn: Cleanup): () => void {
  install();
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
    maybeUninstall();
  };
}

/** Registers a synchronous last-resort kill for the 'exit' event (e.g. SIGKILL a process group). */
export function registerExitKill(fn: () => void): () => void {
  install();
  exitKills.add(fn);
  return () => {
    exitKills.delete(fn);
    maybeUninstall();
  };
}

/** Runs every registered cleanup (newest first), concurrently, never throwing. */
export async function reapAll(): Promise<void> {
  const fns = [...cleanups].reverse();
  cleanups.clear();
  await Promise.allSettled(fns.map(async (f) => f()));
  runExitKills();
}

/** Number of live registrations (for tests). */
export function liveCleanupCount(): number {
  return cleanups.size;
}

/** Number of live exit kills (for tests: a finished run leaves none). */
export function liveExitKillCount(): number {
  return exitKills.size;
}
