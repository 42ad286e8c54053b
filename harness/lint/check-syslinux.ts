import { readFileSync } from 'node:fs';
import { findFileRegion, readMappedFile } from '../image/read-mapped-file.ts';
import { fileSectors, parsePatchArea, syslinuxVersion } from './syslinux-install.ts';
import { finding, type LintFinding } from './types.ts';
import type { LintContext } from './lint-context.ts';

const REINSTALL = 'reinstall: mount the boot partition and run extlinux --install DIR (never copy ldlinux.sys by hand: the boot sector holds its block numbers)';
const HOST_EXTLINUX = ['/usr/bin/extlinux', '/usr/sbin/extlinux'];

/** Checks 3–5: the boot sector, ldlinux.sys (checksum, sector list) and ldlinux.c32. */
export async function checkSyslinux(ctx: LintContext): Promise<LintFinding[]> {
  const out: LintFinding[] = [];
  const { boot, map } = ctx;
  if (!boot) return out;
  const vbr = ctx.reader.read(boot.firstLba * 512, 512);
  const where = `partition ${boot.number} (LBA ${boot.firstLba})`;
  if (vbr.length < 512 || vbr[510] !== 0x55 || vbr[511] !== 0xaa) {
    out.push(finding('error', 'LINT_VBR_NO_SIGNATURE', 'vbr', `the first sector of boot ${where} has no 55AA: gptmbr.bin prints "Missing OS"`, REINSTALL));
    return out;
  }
  const isSyslinux = vbr.readUInt32LE(0x1f8) === 0x3eb202fe && vbr.toString('latin1').includes('Boot error');
  if (!isSyslinux) out.push(finding('error', 'LINT_VBR_NOT_SYSLINUX', 'vbr', `the boot sector of ${where} is not SYSLINUX's (no LDLINUX magic at 0x1F8)`, REINSTALL));
  const hidden = vbr.readUInt32LE(0x1c);
  if (isSyslinux && hidden !== boot.firstLba) {
    out.push(finding('error', 'LINT_VBR_HIDDEN_SECTORS', 'vbr', `the boot sector of ${where} says the partition starts at LBA ${hidden} (hidden sectors at 0x1C), so it reads ldlinux.sys from the wrong place`, `${REINSTALL}; this happens when a partition is moved or the fs is copied to another offset`));
  }
  const sysRegion = findFileRegion(map, 'ldlinux.sys');
  if (!sysRegion || !map.syslinuxDir) {
    out.push(finding('error', 'LINT_NO_LDLINUX_SYS', 'ldlinux-sys', `no ldlinux.sys in /extlinux, /boot/extlinux, /syslinux, /boot/syslinux or / of ${where}${map.notes.length ? ` (${map.notes.at(-1)})` : ''}`, REINSTALL));
    return out;
  }
  const sys = await readMappedFile(ctx.image, sysRegion);
  const pa = parsePatchArea(sys);
  const sysPath = sysRegion.path ?? 'ldlinux.sys';
  if (!pa) {
    out.push(finding('error', 'LINT_LDLINUX_SYS_NO_PATCH_AREA', 'ldlinux-sys', `${sysPath} has no LDLINUX magic 0x3eb202fe in its first 4 KiB: not a SYSLINUX core`, REINSTALL));
    return out;
  }
  if (!pa.checksumOk) out.push(finding('error', 'LINT_LDLINUX_SYS_CHECKSUM', 'ldlinux-sys', `${sysPath}: the checksum over its ${pa.dwords} dwords does not match: ldlinux.sys prints "Load error - Boot error"`, REINSTALL));
  const real = fileSectors(sysRegion.ranges, boot.firstLba);
  const ptrOk = pa.sect1Ptr0 + 4 <= vbr.length && pa.sect1Ptr1 + 4 <= vbr.length;
  const sect1 = isSyslinux && ptrOk ? Number(vbr.readUInt32LE(pa.sect1Ptr0)) + vbr.readUInt32LE(pa.sect1Ptr1) * 2 ** 32 : null;
  if (sect1 !== null && sect1 !== real[0]) {
    out.push(finding('error', 'LINT_VBR_WRONG_LDLINUX_LBA', 'vbr', `the boot sector of ${where} loads sector ${sect1} (partition-relative) as ldlinux.sys, but ${sysPath} starts at sector ${real[0] ?? '?'}`, REINSTALL));
  }
  const want = real.slice(1, pa.dataSectors);
  const bad = want.findIndex((s, i) => pa.sectors[i] !== s);
  if (bad >= 0 || pa.sectors.length < want.length) {
    const i = bad >= 0 ? bad : pa.sectors.length;
    out.push(finding('error', 'LINT_LDLINUX_SYS_SECTOR_LIST', 'ldlinux-sys', `${sysPath}: its sector list says sector ${i + 1} of the file is at ${pa.sectors[i] ?? 'nothing'}, but the file system has it at ${want[i]} (the file was moved or rewritten after extlinux --install)`, REINSTALL));
  }
  const advWant = [real[pa.dataSectors], real[pa.dataSectors + 1]];
  if (advWant[0] !== undefined && (pa.adv[0] !== advWant[0] || pa.adv[1] !== advWant[1])) {
    out.push(finding('warning', 'LINT_LDLINUX_SYS_ADV', 'ldlinux-sys', `${sysPath}: ADV pointers ${pa.adv.join(', ')} differ from the file's last sectors ${advWant.join(', ')}`, REINSTALL));
  }
  if (pa.dir && map.syslinuxDir && pa.dir.replace(/\/$/, '') !== map.syslinuxDir.replace(/\/$/, '')) {
    out.push(finding('warning', 'LINT_LDLINUX_SYS_DIR', 'ldlinux-c32', `${sysPath} was installed for directory ${pa.dir}, but lives in ${map.syslinuxDir}: it looks for ldlinux.c32 and the config there`, REINSTALL));
  }
  out.push(...(await checkC32(ctx, sys, sysPath)));
  return out;
}

async function checkC32(ctx: LintContext, sys: Buffer, sysPath: string): Promise<LintFinding[]> {
  const region = findFileRegion(ctx.map, 'ldlinux.c32');
  const dir = ctx.map.syslinuxDir ?? '/';
  if (!region) return [finding('error', 'LINT_NO_LDLINUX_C32', 'ldlinux-c32', `no ldlinux.c32 next to ${sysPath} in ${dir}: SYSLINUX prints "Failed to load ldlinux.c32"`, 'reinstall with extlinux --install, which writes ldlinux.c32 of the same build')];
  const c32 = await readMappedFile(ctx.image, region);
  const elf = c32.length > 52 && c32.readUInt32BE(0) === 0x7f454c46 && c32[4] === 1 && c32.readUInt16LE(18) === 3;
  if (!elf) return [finding('error', 'LINT_LDLINUX_C32_NOT_ELF', 'ldlinux-c32', `${region.path}: not an ELF32 i386 module (${c32.length} bytes)`, 'reinstall with extlinux --install')];
  const version = syslinuxVersion(sys);
  if (!version) return [finding('info', 'LINT_LDLINUX_C32_UNVERIFIED', 'ldlinux-c32', `${sysPath} has no version string, so ${region.path} cannot be matched to it`, 'none')];
  // ldlinux.c32 carries no version string: compare with the copy inside the host's extlinux when it is the same release.
  for (const bin of HOST_EXTLINUX) {
    let host: Buffer;
    try { host = readFileSync(bin); } catch { continue; }
    if (!host.includes(version)) continue;
    if (host.includes(c32)) return [finding('info', 'LINT_LDLINUX_C32_MATCH', 'ldlinux-c32', `${region.path} is the one ${bin} (${version}) installs`, 'none')];
    return [finding('error', 'LINT_LDLINUX_C32_MISMATCH', 'ldlinux-c32', `${region.path} (${c32.length} B) is not the ldlinux.c32 of ${version} that ${sysPath} belongs to (${bin} holds that build): a different build fails to load or crashes`, 'use the ldlinux.c32 extlinux --install writes, not one from another package (e.g. syslinux-common\'s modules/bios/ldlinux.c32)')];
  }
  return [finding('info', 'LINT_LDLINUX_C32_UNVERIFIED', 'ldlinux-c32', `${sysPath} is ${version}; no extlinux of that release on this host to compare ${region.path} with`, 'none')];
}
