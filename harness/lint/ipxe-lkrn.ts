import { decodeLzmaRaw } from './lzma-raw.ts';

/**
 * What an ipxe.lkrn can do, read from its compressed payload. iPXE's util/zbin.c packs the
 * protected-mode image as a raw LZMA1 stream (lc=2, lp=0, pb=0) right after a 32-bit length,
 * behind the real-mode prefix and the unlzma decompressor.
 */
export interface LkrnInfo {
  /** Where the payload stream starts, or null when none could be decoded. */
  payloadOffset: number | null;
  payloadBytes: number;
  /** Build version from the banner strings, e.g. "1.0.0+git-20190125.36a4c85" (null when unknown). */
  version: string | null;
  /** Feature names present as strings in the payload ("HTTP", "HTTPS", "DNS", …). */
  features: Set<string>;
  /** Why the payload could not be read (null when it was). */
  problem: string | null;
  /** Whether `name` can be an iPXE command of this build (false = certainly absent; null = unknown: the payload could not be read). */
  hasCommand(name: string): boolean | null;
}

const PROPS = { lc: 2, lp: 0, pb: 0, dictSize: 1 << 24 };
const MAX_OUT = 16 << 20;
const SCAN_LIMIT = 64 << 10;
const FEATURES = ['HTTPS', 'HTTP', 'DNS', 'TFTP', 'FTP', 'NFS', 'iSCSI', 'AoE', 'SRP', 'FCoE', 'ELF', 'MBOOT', 'PXE', 'bzImage', 'Menu', 'PXEXT', 'EFI', 'VLAN'];

function looksLikeIpxe(out: Buffer): boolean {
  return out.includes('iPXE') && out.includes('chain\0');
}

/** Offsets where a raw LZMA stream may begin: a 0x00 byte after a plausible little-endian length. */
function candidates(buf: Buffer, from: number): number[] {
  const strong: number[] = [];
  const weak: number[] = [];
  const end = Math.min(buf.length - 5, from + SCAN_LIMIT);
  for (let off = Math.max(from, 4); off < end; off++) {
    if (buf[off] !== 0 || buf[off + 1] === 0) continue;
    const len = buf.readUInt32LE(off - 4);
    const rest = buf.length - off;
    if (len > rest / 2 && len < rest * 2) strong.push(off);
    else if (weak.length < 64) weak.push(off);
  }
  return [...strong, ...weak];
}

/** Decompresses (when needed) and reads an ipxe.lkrn's facts. Never throws. */
export function lkrnFacts(lkrn: Buffer): LkrnFacts {
  let payload: Buffer | null = null;
  let payloadOffset: number | null = null;
  let problem: string | null = null;
  if (looksLikeIpxe(lkrn)) {
    payload = lkrn; // an uncompressed build
    payloadOffset = 0;
  } else if (lkrn.length < 0x400 || lkrn.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    problem = 'not a bzImage, so not an ipxe.lkrn';
  } else {
    const setupEnd = ((lkrn[0x1f1] || 4) + 1) * 512;
    for (const off of candidates(lkrn, setupEnd)) {
      const res = decodeLzmaRaw(lkrn, off, PROPS, MAX_OUT);
      if (res.out.length > 4096 && looksLikeIpxe(res.out)) {
        payload = res.out;
        payloadOffset = off;
        break;
      }
    }
    if (!payload) problem = `no LZMA payload (lc=2 lp=0 pb=0) found in the first ${SCAN_LIMIT >> 10} KiB after the setup sectors`;
  }
  const features: string[] = [];
  let version: string | null = null;
  let names: string[] = [];
  if (payload) {
    for (const f of FEATURES) if (payload.includes(`${f}\0`)) features.push(f);
    const m = /\b(\d+\.\d+\.\d+(?:\+[\w.~+-]*)?(?:-\w[\w.~+-]*)?)\0/.exec(payload.toString('latin1', 0, Math.min(payload.length, MAX_OUT)));
    version = m?.[1] ?? null;
    names = nulTerminatedTails(payload);
  }
  return { payloadOffset, payloadBytes: payload?.length ?? 0, version, features, problem, names: payload ? names : null };
}

/** What lint needs of an ipxe.lkrn, small enough to cache (the LZMA decode is the costly part: ~0.2 s). */
export interface LkrnFacts {
  payloadOffset: number | null;
  payloadBytes: number;
  version: string | null;
  features: string[];
  problem: string | null;
  /** The printable tail of every NUL-terminated string in the payload (sorted, unique); null = payload unreadable. */
  names: string[] | null;
}

const PRINTABLE_TAIL = /[\x21-\x7e]+$/;

/** The printable ASCII tail of each NUL-terminated run of bytes: enough to answer "does `name\0` occur?". */
function nulTerminatedTails(payload: Buffer): string[] {
  const out = new Set<string>();
  let start = 0;
  for (let i = payload.indexOf(0); i >= 0; start = i + 1, i = payload.indexOf(0, start)) {
    if (i === start) continue;
    const tail = PRINTABLE_TAIL.exec(payload.toString('latin1', Math.max(start, i - 64), i))?.[0];
    if (tail) out.add(tail);
  }
  return [...out].sort();
}

export function lkrnInfo(f: LkrnFacts): LkrnInfo {
  const names = f.names;
  return {
    payloadOffset: f.payloadOffset,
    payloadBytes: f.payloadBytes,
    version: f.version,
    features: new Set(f.features),
    problem: f.problem,
    // Command names are NUL-terminated strings, and the linker merges "dhcp" into the tail of
    // "proxydhcp": a missing "name\0" proves the command is absent; a present one only suggests it.
    // Unreadable payload, or a name that is not printable ASCII of up to 64 characters: unknown, never a silent "yes".
    hasCommand: (name) => {
      if (!names || !/^[\x21-\x7e]{1,64}$/.test(name)) return null;
      return names.some((t) => t.endsWith(name));
    },
  };
}

/** Decompresses (when needed) and inspects an ipxe.lkrn image. Never throws. */
export function inspectLkrn(lkrn: Buffer): LkrnInfo {
  return lkrnInfo(lkrnFacts(lkrn));
}
