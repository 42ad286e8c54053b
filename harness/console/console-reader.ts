import stripAnsi from 'strip-ansi';
import type { ConsoleLineEvent } from '../events.ts';
import { DuplicateEchoFilter } from './dedup.ts';
import { COLUMN_BASE, EscapeFilter, GOTO_COLUMN } from './escape-filter.ts';
import { WRAP_COLUMNS } from './wrap.ts';

/**
 * Turns the raw serial byte stream of a SeaBIOS sercon console into clean lines: escape codes
 * removed, CR/backspace applied the way a terminal shows them, SYSLINUX `SERIAL` echo undone.
 * Lines wrapped at 80 columns stay separate (see wrap.ts to join them).
 */
export class ConsoleReader {
  private readonly chunks: Buffer[] = [];
  private readonly escapes = new EscapeFilter();
  private readonly echo: DuplicateEchoFilter;
  private readonly lines: string[] = [];
  private cells: string[] = [];
  /** When each cell was last written (its byte's trace time). */
  private cellAt: number[] = [];
  private col = 0;
  /** Text was appended since the line was last shown (so an overwrite would lose something). */
  private grown = false;
  private lastPartial = '';
  private ended = false;
  private pendingGoto = false;

  /** `serialEcho: false`: the image's SYSLINUX config has no SERIAL line, so no line is ever de-duplicated. */
  constructor(
    private readonly onLine: (e: ConsoleLineEvent) => void,
    opts: { serialEcho?: boolean } = {},
  ) {
    this.echo = new DuplicateEchoFilter(opts);
  }

  /** Feeds serial output as it arrived at `atMs` (ms since machine start). */
  push(chunk: Buffer | string, atMs: number): void {
    if (this.ended) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.chunks.push(buf);
    // latin1: one char per byte, so a chunk boundary never splits a character.
    for (const ch of this.escapes.feed(buf.toString('latin1'))) this.apply(ch, atMs);
  }

  /** Emits the unfinished line (partial: true) if it changed since the last flush, e.g. "boot: ". */
  flushPartial(atMs: number): void {
    const shown = this.partialText();
    if (shown.trim() === '' || shown === this.lastPartial) return;
    this.lastPartial = shown;
    this.grown = false;
    this.onLine({ kind: 'console', atMs, text: shown, partial: true, textAtMs: this.textAt(atMs) });
  }

  /** The stream ended: flushes the unfinished line. Further pushes are ignored. */
  end(atMs: number): void {
    if (this.ended) return;
    this.flushPartial(atMs);
    this.ended = true;
  }

  /** Every byte received, unmodified (for artifacts). */
  raw(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The clean console text: complete lines, then the unfinished one. */
  text(): string {
    const tail = this.partialText();
    return [...this.lines, ...(tail === '' ? [] : [tail])].join('\n');
  }

  /**
   * SeaBIOS's sercon re-syncs the terminal's cursor with ESC[row;colH: after a CR to repaint the row
   * ("B\r\e[07;02Hooting"), or one or two columns back from the cursor over a character it sent twice
   * ("frr\e[15;17Hom").
   * Only such moves are honoured: with SYSLINUX's SERIAL echo the serial text is longer than sercon's VGA
   * row, and a far jump back would overwrite real text.
   */
  private gotoColumn(target: number): void {
    const len = this.cells.length;
    const afterCr = this.col === 0;
    // "Back" is from the cursor, not the row's end: iPXE's progress erases its " [host]" note with \b and
    // spaces, so the cursor may sit well before the end of the row when sercon re-syncs it. Forward is up to
    // the row's end ("from S\e[05;19H\e[05;20HYSLINUX": back one, then forward one).
    if (target <= len && (afterCr || target >= this.col - 2)) this.col = target;
  }

  private apply(ch: string, atMs: number): void {
    if (this.pendingGoto) {
      this.pendingGoto = false;
      this.gotoColumn(ch.charCodeAt(0) - COLUMN_BASE);
      return;
    }
    switch (ch) {
      case '\n':
        this.finishLine(atMs);
        return;
      case '\r':
        this.col = 0;
        return;
      case '\b':
        if (this.col > 0) this.col--;
        return;
      case GOTO_COLUMN:
        this.pendingGoto = true;
        return;
      case '\t':
        do this.put(' ', atMs);
        while (this.col % 8 !== 0);
        return;
      default:
        this.put(ch, atMs);
    }
  }

  private put(ch: string, atMs: number): void {
    const old = this.cells[this.col];
    if (old !== undefined && old !== ' ' && old !== ch && this.grown) {
      // About to overwrite text nobody has seen as a line yet ("Press Ctrl-B…" erased by \b \b).
      this.flushPartial(atMs);
    }
    while (this.cells.length < this.col) {
      this.cells.push(' ');
      this.cellAt.push(atMs);
    }
    if (this.col >= this.cells.length) this.grown = true;
    this.cellAt[this.col] = atMs;
    this.cells[this.col++] = ch;
  }

  /**
   * When the current row's first visible character was printed (`fallback` for a blank row). Not the last:
   * sercon holds back a row's last character until the next output ("Booting from Hard Disk.." + "."),
   * so only the start of a line is reliably in step with the disk reads around it.
   */
  private textAt(fallback: number): number {
    let t = Infinity;
    for (let i = 0; i < this.cells.length; i++) if (this.cells[i] !== ' ' && this.cellAt[i]! < t) t = this.cellAt[i]!;
    return t === Infinity ? fallback : t;
  }

  private currentRaw(): string {
    return stripAnsi(this.cells.join(''));
  }

  private partialText(): string {
    return this.echo.preview(this.currentRaw());
  }

  private finishLine(atMs: number): void {
    const shown = this.currentRaw();
    // Trailing blanks are erased text, except on a full row where they decide the 80-column wrap.
    const raw = shown.length >= WRAP_COLUMNS ? shown : shown.trimEnd();
    const textAtMs = this.textAt(atMs);
    this.cells = [];
    this.cellAt = [];
    this.col = 0;
    this.grown = false;
    this.lastPartial = '';
    const text = this.echo.line(raw);
    if (text === null) return;
    this.lines.push(text);
    this.onLine({ kind: 'console', atMs, text, textAtMs });
  }
}
