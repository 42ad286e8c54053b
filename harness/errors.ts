/**
 * The one error class bootchain throws for problems the user can fix: bad input, a missing host
 * tool, a port in use, no root where root is needed. `code` is stable (CI can key on it);
 * `message` names the file, field or stage; `hint` says what to do next.
 */
export class BootchainError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BootchainError';
    this.code = code;
    this.hint = hint;
  }
}

export function isBootchainError(e: unknown): e is BootchainError {
  return e instanceof BootchainError;
}

/** Formats any error for a terminal: message, then the hint on its own line. */
export function formatError(e: unknown): string {
  if (isBootchainError(e)) return `error [${e.code}]: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
  if (e instanceof Error) return `error: ${e.stack ?? e.message}`;
  return `error: ${String(e)}`;
}
