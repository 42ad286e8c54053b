/**
 * Removes ANSI/VT escape sequences from a character stream that arrives in arbitrary chunks
 * (a sequence may be split between two chunks). What survives is printable text plus the
 * controls the line assembler understands: "\r", "\n", "\b", "\t". A cursor move to column 1
 * (ESC[row;1H, ESC[H, ESC[G) becomes "\r", since it restarts the visible line.
 */
export class EscapeFilter {
  private state: 'text' | 'esc' | 'csi' | 'osc' | 'osc-esc' | 'charset' = 'text';
  private params = '';
  /** The last character let through was a CR (across chunks). */
  private afterCr = false;

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
            out += this.finishCsi(ch, out.length > 0 ? out.endsWith('\r') : this.afterCr);
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
    if (out.length > 0) this.afterCr = out.endsWith('\r');
    return out;
  }

  private enterCsi(): void {
    this.state = 'csi';
    this.params = '';
  }

  private finishCsi(final: string, afterCr: boolean): string {
    const nums = this.params.replace(/^[?>=]/, '').split(';');
    // SeaBIOS's sercon repaints a row with "CR, ESC[row;colH": right after a CR, a move to column c keeps
    // the text before it ("B\r\e[07;02Hooting" is "Booting"). Elsewhere the column refers to sercon's VGA
    // screen, which the serial stream need not match (SYSLINUX's SERIAL echo): only column 1 counts there.
    const toColumn = (col: number): string => (col <= 1 ? '\r' : afterCr ? `\r${CURSOR_RIGHT.repeat(Math.min(col, 512) - 1)}` : '');
    if (final === 'H' || final === 'f') return toColumn(Number(nums[1] || '1'));
    if (final === 'G') return toColumn(Number(nums[0] || '1'));
    if (final === 'C') return afterCr ? CURSOR_RIGHT.repeat(Math.min(Number(nums[0] || '1'), 512)) : '';
    return '';
  }
}

/** Private control the filter emits for "move the cursor one column right without writing". */
export const CURSOR_RIGHT = '\x1c';
