/**
 * SeaBIOS's sercon wraps at 80 columns by inserting CRLF, so one long guest line (an iPXE URL,
 * an error with its ipxe.org link) arrives as several console lines. These helpers let matchers
 * see the text the guest printed while the reader keeps the raw lines.
 */

/** Column count after which sercon inserts a line break. */
export const WRAP_COLUMNS = 80;

/** True when a console line filled the whole row, so the next line may continue it. */
export function isWrapped(line: string): boolean {
  return line.length >= WRAP_COLUMNS;
}

/** Joins lines that were split by the 80-column wrap; other lines stay as they are. */
export function joinWrapped(lines: readonly string[]): string[] {
  const out: string[] = [];
  let pending: string | null = null;
  for (const line of lines) {
    const joined: string = pending === null ? line : pending + line;
    if (isWrapped(line)) pending = joined;
    else {
      out.push(joined);
      pending = null;
    }
  }
  if (pending !== null) out.push(pending);
  return out;
}

/**
 * Keeps the logical line that the latest console lines belong to: push each complete line,
 * read `current` for the text joined across wraps (ends at the latest line).
 */
export class WrapJoiner {
  private head = '';
  private last = '';

  /** Adds a complete console line; returns the logical line it ends (or continues). */
  push(line: string): string {
    this.last = this.head + line;
    this.head = isWrapped(line) ? this.last : '';
    return this.last;
  }

  /** The logical line with an unfinished (partial) line appended, without storing it. */
  peek(partial: string): string {
    return this.head + partial;
  }

  get current(): string {
    return this.last;
  }
}
