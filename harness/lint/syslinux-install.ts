/**
 * What `extlinux --install` wrote, read back: the patch area of ldlinux.sys (found by its magic)
 * and the boot sector fields that point at it. Layout from SYSLINUX 6 syslxint.h, checked on images.
 */
export const LDLINUX_MAGIC = 0x3eb202fe;

export interface PatchArea {
  offset: number;
  dataSectors: number;
  advSectors: number;
  dwords: number;
  checksumOk: boolean;
  /** Offsets in the boot sector of the 64-bit LBA (two dwords) of ldlinux.sys's first sector. */
  sect1Ptr0: number;
  sect1Ptr1: number;
  /** Partition-relative LBAs of sectors 1..dataSectors-1, expanded from the extent list. */
  sectors: number[];
  adv: [number, number];
  dir: string;
}

/** Parses the patch area of an ldlinux.sys image; null when the magic is absent. */
export function parsePatchArea(sys: Buffer): PatchArea | null {
  let pa = -1;
  for (let off = 0; off + 32 <= Math.min(sys.length, 4096); off += 4) {
    if (sys.readUInt32LE(off) === LDLINUX_MAGIC) { pa = off; break; }
  }
  if (pa < 0) return null;
  const dataSectors = sys.readUInt16LE(pa + 8);
  const advSectors = sys.readUInt16LE(pa + 10);
  const dwords = sys.readUInt32LE(pa + 12);
  const epa = sys.readUInt16LE(pa + 22);
  let sum = 0;
  if (dwords * 4 <= sys.length) for (let i = 0; i < dwords; i++) sum = (sum + sys.readUInt32LE(i * 4)) >>> 0;
  const ok = dwords * 4 <= sys.length && sum === LDLINUX_MAGIC;
  if (epa + 20 > sys.length) return { offset: pa, dataSectors, advSectors, dwords, checksumOk: ok, sect1Ptr0: 0, sect1Ptr1: 0, sectors: [], adv: [0, 0], dir: '' };
  const u16 = (i: number) => sys.readUInt16LE(epa + i);
  const [advPtr, dirOff, dirLen, secPtr, secCnt] = [u16(0), u16(2), u16(4), u16(10), u16(12)];
  const sectors: number[] = [];
  for (let i = 0; i < secCnt && secPtr + 10 * (i + 1) <= sys.length && sectors.length < dataSectors; i++) {
    const lba = Number(sys.readBigUInt64LE(secPtr + 10 * i));
    const len = sys.readUInt16LE(secPtr + 10 * i + 8);
    if (len === 0) break;
    for (let k = 0; k < len; k++) sectors.push(lba + k);
  }
  const adv: [number, number] = advPtr + 16 <= sys.length ? [Number(sys.readBigUInt64LE(advPtr)), Number(sys.readBigUInt64LE(advPtr + 8))] : [0, 0];
  const dir = dirOff + dirLen <= sys.length ? sys.toString('latin1', dirOff, dirOff + dirLen).replace(/\0[\s\S]*$/, '') : '';
  return { offset: pa, dataSectors, advSectors, dwords, checksumOk: ok, sect1Ptr0: u16(14), sect1Ptr1: u16(16), sectors, adv, dir };
}

/** The "SYSLINUX 6.04 20210613"-style version string of an ldlinux.sys (longest one found). */
export function syslinuxVersion(sys: Buffer): string | null {
  const all = sys.toString('latin1').match(/(?:SYS|EXT|ISO|PXE)LINUX \d+\.\d+[\w.-]* ?[\w.-]*/g) ?? [];
  return all.map((s) => s.trim()).sort((a, b) => b.length - a.length)[0] ?? null;
}

/** Partition-relative sector numbers of a file, from its absolute disk byte ranges. */
export function fileSectors(ranges: Array<{ start: number; end: number }>, partitionStartLba: number): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let s = Math.floor(r.start / 512); s * 512 < r.end; s++) out.push(s - partitionStartLba);
  return out;
}
