/**
 * Removes ANSI/VT escape sequences from a character stream that arrives in arbitrary chunks
 * (a sequence may be split between two chunks). What survives is printable text plus the
 * controls the line assembler understands: "\r", "\n", "\b", "\t". A cursor move to column 1
 * (ESC[row;1H, ESC[H, ESC[G) becomes "\r", since it restarts the visible line.
 */
export class EscapeFilter {
  private state: 'text' | 'esc' | 'csi' | 'osc' | 'osc-esc' | 'charset' = 'text';
  private params = '';

  /** Feeds decoded characters; returns the filtered characters. */
  feed(input: string): string {
    let out = '';
    for (const ch of input) {
      const code = ch.charCodeAt(0);
      switch (this.state) {
        case 'text':
          if (code === 0x1b) this.state = 'esc';
          else if (code === 0x9b) this.enterCsi();
          else if (ch === '\r' || ch === '\n' || ch === '\b' || ch === '\t') out += ch;
          else if (code >= 0x20 && code !== 0x7f) out += ch;
          break;
        case 'esc':
          if (ch === '[') this.enterCsi();
          else if (ch === ']') this.state = 'osc';
          else if (ch === '(' || ch === ')' || ch === '#' || ch === '%') this.state = 'charset';
          else if (code === 0x1b) this.state = 'esc';
          else this.state = 'text'; // two-byte sequence: ESC c (reset), ESC 7/8, ESC M, ...
          break;
        case 'charset':
          this.state = 'text';
          break;
        case 'csi':
          if (code >= 0x40 && code <= 0x7e) {
            out += this.finishCsi(ch);
            this.state = 'text';
          } else if (code === 0x1b) {
            this.state = 'esc';
          } else if (code >= 0x20 && code < 0x40) {
            this.params += ch;
          } else {
            this.state = 'text'; // malformed: drop the sequence
          }
          break;
        case 'osc':
          if (code === 0x07) this.state = 'text';
          else if (code === 0x1b) this.state = 'osc-esc';
          break;
        case 'osc-esc':
          this.state = ch === '\\' ? 'text' : 'osc';
          break;
      }
    }
    return out;
  }

  private enterCsi(): void {
    this.state = 'csi';
    this.params = '';
  }

  private finishCsi(final: string): string {
    const nums = this.params.replace(/^[?>=]/, '').split(';');
    // Column 1 restarts the row (CR). Other columns go to the line assembler as GOTO_COLUMN + the column
    // index: whether to honour them depends on the line it holds (see ConsoleReader.gotoColumn).
    const toColumn = (col: number): string => (col <= 1 ? '\r' : `${GOTO_COLUMN}${String.fromCharCode(COLUMN_BASE + Math.min(col - 1, MAX_COLUMN))}`);
    if (final === 'H' || final === 'f') return toColumn(Number(nums[1] || '1'));
    if (final === 'G') return toColumn(Number(nums[0] || '1'));
    return '';
  }
}

/** Private control the filter emits for "cursor to column N" (the next char's code is COLUMN_BASE + N). */
export const GOTO_COLUMN = '\x1d';
export const COLUMN_BASE = 0x100;
const MAX_COLUMN = 1000;
