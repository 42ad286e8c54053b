/**
 * A small LZMA1 decoder for raw streams (no header), as iPXE's util/zbin.c writes them. Pure JS so
 * lint needs no native module or host tool. It never throws: on corrupt input it returns what it
 * decoded so far with `ok: false`.
 */

export interface LzmaProps {
  lc: number;
  lp: number;
  pb: number;
  dictSize: number;
}

export interface LzmaResult {
  out: Buffer;
  ok: boolean;
}

const PROB_INIT = 1024;
const TOP = 1 << 24;

class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  pos: number;
  corrupt = false;
  constructor(private readonly buf: Buffer, start: number) {
    this.pos = start;
    if (this.byte() !== 0) this.corrupt = true;
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.byte()) >>> 0;
    if (this.code === this.range) this.corrupt = true;
  }
  private byte(): number {
    if (this.pos >= this.buf.length) { this.corrupt = true; return 0; }
    return this.buf[this.pos++]!;
  }
  private normalize(): void {
    if (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.byte()) >>> 0;
    }
  }
  bit(probs: Uint16Array, i: number): number {
    const p = probs[i]!;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      probs[i] = p + ((2048 - p) >>> 5);
      this.range = bound;
      b = 0;
    } else {
      probs[i] = p - (p >>> 5);
      this.code -= bound;
      this.range -= bound;
      b = 1;
    }
    this.normalize();
    return b;
  }
  direct(n: number): number {
    let res = 0;
    for (let i = 0; i < n; i++) {
      this.range >>>= 1;
      let t = 0;
      if (this.code >= this.range) { this.code -= this.range; t = 1; }
      res = ((res << 1) | t) >>> 0;
      this.normalize();
    }
    return res;
  }
}

const probs = (n: number) => new Uint16Array(n).fill(PROB_INIT);

function bitTree(rc: RangeDecoder, p: Uint16Array, base: number, bits: number): number {
  let m = 1;
  for (let i = 0; i < bits; i++) m = (m << 1) + rc.bit(p, base + m);
  return m - (1 << bits);
}

function bitTreeReverse(rc: RangeDecoder, p: Uint16Array, base: number, bits: number): number {
  let m = 1;
  let sym = 0;
  for (let i = 0; i < bits; i++) {
    const b = rc.bit(p, base + m);
    m = (m << 1) + b;
    sym |= b << i;
  }
  return sym;
}

class LenDecoder {
  choice = probs(2);
  low = probs(16 << 3);
  mid = probs(16 << 3);
  high = probs(256);
  decode(rc: RangeDecoder, posState: number): number {
    if (rc.bit(this.choice, 0) === 0) return bitTree(rc, this.low, posState << 3, 3);
    if (rc.bit(this.choice, 1) === 0) return 8 + bitTree(rc, this.mid, posState << 3, 3);
    return 16 + bitTree(rc, this.high, 0, 8);
  }
}

/** Decodes a raw LZMA1 stream starting at `start`, stopping at the end marker, `maxOut` bytes, or the first sign of corruption. */
export function decodeLzmaRaw(buf: Buffer, start: number, props: LzmaProps, maxOut: number): LzmaResult {
  const { lc, lp, pb } = props;
  const rc = new RangeDecoder(buf, start);
  const out = Buffer.alloc(maxOut);
  let n = 0;
  const literal = probs(0x300 << (lc + lp));
  const isMatch = probs(12 << 4);
  const isRep = probs(12);
  const isRepG0 = probs(12);
  const isRepG1 = probs(12);
  const isRepG2 = probs(12);
  const isRep0Long = probs(12 << 4);
  const posSlot = probs(4 << 6);
  const posDecoders = probs(115);
  const align = probs(16);
  const lenDec = new LenDecoder();
  const repLenDec = new LenDecoder();
  let rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0, state = 0;
  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;
  while (n < maxOut && !rc.corrupt) {
    const posState = n & pbMask;
    if (rc.bit(isMatch, (state << 4) + posState) === 0) {
      const prev = n > 0 ? out[n - 1]! : 0;
      const base = 0x300 * (((n & lpMask) << lc) + (prev >>> (8 - lc)));
      let sym = 1;
      if (state >= 7) {
        let match = out[n - rep0 - 1] ?? 0;
        do {
          const mbit = (match >>> 7) & 1;
          match <<= 1;
          const b = rc.bit(literal, base + ((1 + mbit) << 8) + sym);
          sym = (sym << 1) | b;
          if (mbit !== b) break;
        } while (sym < 0x100);
      }
      while (sym < 0x100) sym = (sym << 1) | rc.bit(literal, base + sym);
      out[n++] = sym & 0xff;
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      continue;
    }
    let len: number;
    if (rc.bit(isRep, state) !== 0) {
      if (n === 0) return { out: out.subarray(0, n), ok: false };
      if (rc.bit(isRepG0, state) === 0) {
        if (rc.bit(isRep0Long, (state << 4) + posState) === 0) {
          state = state < 7 ? 9 : 11;
          out[n] = out[n - rep0 - 1]!;
          n++;
          continue;
        }
      } else {
        let dist: number;
        if (rc.bit(isRepG1, state) === 0) dist = rep1;
        else {
          if (rc.bit(isRepG2, state) === 0) dist = rep2;
          else { dist = rep3; rep3 = rep2; }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      len = repLenDec.decode(rc, posState);
      state = state < 7 ? 8 : 11;
    } else {
      rep3 = rep2; rep2 = rep1; rep1 = rep0;
      len = lenDec.decode(rc, posState);
      state = state < 7 ? 7 : 10;
      const lenState = Math.min(len, 3);
      const slot = bitTree(rc, posSlot, lenState << 6, 6);
      if (slot < 4) rep0 = slot;
      else {
        const numDirect = (slot >>> 1) - 1;
        let dist = ((2 | (slot & 1)) << numDirect) >>> 0;
        if (slot < 14) dist += bitTreeReverse(rc, posDecoders, dist - slot, numDirect);
        else dist += ((rc.direct(numDirect - 4) << 4) >>> 0) + bitTreeReverse(rc, align, 0, 4);
        rep0 = dist >>> 0;
      }
      if (rep0 === 0xffffffff) return { out: out.subarray(0, n), ok: !rc.corrupt }; // end marker
    }
    len += 2;
    if (rep0 >= n || rep0 >= props.dictSize) return { out: out.subarray(0, n), ok: false };
    for (let i = 0; i < len && n < maxOut; i++, n++) out[n] = out[n - rep0 - 1]!;
  }
  return { out: out.subarray(0, n), ok: !rc.corrupt };
}
