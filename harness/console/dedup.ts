/**
 * Undoes SYSLINUX's `SERIAL` directive echo: ldlinux writes every character to the serial port
 * itself AND through int 10h, which SeaBIOS's sercon forwards to the same port. The two copies
 * interleave ("Loading ipxe.lkrn...Loading ipxe.lkrn...  ook" + "k"), and the slower copy can
 * spill into the next raw line. A line is split greedily into a leader and a follower copy; the
 * follower's unmatched rest is carried into the next line.
 */

const LINE_END = '\n';

export interface ShuffleSplit {
  /** Characters printed first (the leader copy), LINE_END included when the leader ended the line. */
  leader: string;
  /** Follower characters still owed after this line (what the leader printed ahead). */
  residual: string;
  /** Characters consumed as the follower copy. */
  matched: number;
}

/** Greedy split of `line + "\n"` into two identical interleaved copies, given an earlier carry. */
export function splitShuffle(line: string, carry: string, ended = true): ShuffleSplit {
  const queue = [...carry];
  let head = 0;
  let leader = '';
  let matched = 0;
  for (const ch of ended ? line + LINE_END : line) {
    if (head < queue.length && queue[head] === ch) {
      head++;
      matched++;
    } else {
      queue.push(ch);
      leader += ch;
    }
  }
  return { leader, residual: queue.slice(head).join(''), matched };
}

function distinctChars(s: string): number {
  return new Set(s.replace(/\s/g, '')).size;
}

/** The banner SYSLINUX's core prints before it reads its configuration (where a `SERIAL` line turns the echo on). */
const LOADER_BANNER_RE = /^(SYS|EXT|ISO|PXE)LINUX \d/;
/** SYSLINUX's report of a loaded file, unechoed: "Loading ipxe.lkrn... ok". */
const LOADED_RE = /^Loading \S+?\s*\.{2,}\s*ok\s*$/;

/**
 * Stateful de-duplicator over complete raw lines. The echo exists only while SYSLINUX's ldlinux.c32 runs
 * with a `SERIAL` directive, so it is undone only inside that window: it opens at the SYSLINUX banner and
 * closes for good at the first line after an echoed one that is not echoed (the loaded kernel printing on
 * its own) — or never opens when the caller knows the image's config has no `SERIAL`. Outside the window
 * every line is kept byte for byte ("boot boot", "aabbccdd", "MARK-1 MARK-1").
 */
export class DuplicateEchoFilter {
  private active = false;
  private carry = '';
  /** 'before': no SYSLINUX banner yet; 'open': inside ldlinux's window; 'closed': the loader is gone. */
  private window: 'before' | 'open' | 'closed';
  private seenEcho = false;
  /** SYSLINUX reported a file loaded ("Loading x... ok"): the next line that is not another load is the kernel's. */
  private loaded = false;

  /** `serialEcho: false` when the image's config is known to have no SERIAL line (nothing is ever changed). */
  constructor(opts: { serialEcho?: boolean } = {}) {
    this.window = opts.serialEcho === false ? 'closed' : 'before';
  }

  /** True once an echoed line was seen and until a line that is not echoed. */
  get echoing(): boolean {
    return this.active;
  }

  /** Returns the line to show, or null when the raw line was only the follower copy's remainder. */
  line(raw: string): string | null {
    if (this.window !== 'open') {
      if (this.window === 'before' && LOADER_BANNER_RE.test(raw)) this.window = 'open';
      return raw;
    }
    if (LOADED_RE.test(raw)) {
      this.loaded = true;
      if (!this.active) return raw;
    }
    if (this.loaded && raw.trim() !== '' && !raw.startsWith('Loading ') && !this.active) {
      // The loaded kernel prints on its own: SYSLINUX's echo is over.
      this.window = 'closed';
      return raw;
    }
    const r = this.judge(raw, this.carry);
    if (!r) {
      if (this.seenEcho || this.loaded) this.window = 'closed';
      this.active = false;
      this.carry = '';
      return raw;
    }
    this.active = true;
    this.seenEcho = true;
    this.carry = r.residual;
    if (r.leader === '') return null;
    const text = r.leader.endsWith(LINE_END) ? r.leader.slice(0, -1) : r.leader;
    if (LOADED_RE.test(text)) this.loaded = true;
    return text;
  }

  /** What an unfinished line shows with the echo removed (does not change state). */
  preview(raw: string): string {
    if (this.window !== 'open') return raw;
    if (!this.active && raw.length < 8) return raw;
    const r = splitShuffle(raw, this.carry, false);
    const text = r.leader;
    const dup = this.active ? r.residual.length <= Math.max(4, raw.length * 0.15) : this.looksEchoed(raw, r);
    return dup ? text : raw;
  }

  private judge(raw: string, carry: string): ShuffleSplit | null {
    const total = raw.length + 1;
    const tolerance = Math.max(3, Math.floor(total * 0.1));
    if (this.active) {
      const r = splitShuffle(raw, carry);
      if (r.residual.length <= tolerance) return r;
    }
    const fresh = splitShuffle(raw, '');
    return this.looksEchoed(raw, fresh) ? fresh : null;
  }

  private looksEchoed(raw: string, r: ShuffleSplit): boolean {
    const total = raw.length + 1;
    return (
      raw.length >= 8 &&
      r.residual.length <= Math.max(3, Math.floor(total * 0.1)) &&
      r.matched * 2 >= total * 0.8 &&
      distinctChars(r.leader) >= 3
    );
  }
}
