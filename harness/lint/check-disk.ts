import { readFileSync } from 'node:fs';
import { finding, type LintFinding } from './types.ts';
import type { LintContext } from './lint-context.ts';

const MBR_DIRS = ['/usr/lib/syslinux/mbr', '/usr/lib/EXTLINUX', '/usr/share/syslinux', '/usr/lib/syslinux/bios'];
const MBR_NAMES = ['gptmbr.bin', 'mbr.bin', 'altmbr.bin', 'gptmbr_c.bin', 'mbr_c.bin', 'altmbr_c.bin', 'gptmbr_f.bin', 'mbr_f.bin', 'altmbr_f.bin'];

let refCache: Map<string, Buffer> | null = null;
/** SYSLINUX MBR boot codes on this host, by name (first 439 bytes: altmbr keeps its partition number at 439). */
function referenceMbrs(): Map<string, Buffer> {
  if (refCache) return refCache;
  refCache = new Map();
  for (const name of MBR_NAMES) {
    for (const dir of MBR_DIRS) {
      try {
        refCache.set(name, readFileSync(`${dir}/${name}`).subarray(0, 439));
        break;
      } catch { /* not on this host */ }
    }
  }
  return refCache;
}

/** Checks 1 and 2: MBR signature and boot code, protective entry, exactly one bootable partition. */
export function checkDisk(ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  const { table } = ctx;
  const s0 = ctx.reader.read(0, 512);
  if (!table.mbr.hasSignature) {
    out.push(finding('error', 'LINT_NO_MBR_SIGNATURE', 'mbr', 'sector 0 has no 55AA signature at byte 510: SeaBIOS prints "Boot failed: not a bootable disk"', 'write an MBR (protective MBR for GPT: sgdisk/sfdisk write one) and the boot code, e.g. dd if=/usr/lib/syslinux/mbr/gptmbr.bin of=IMG bs=440 count=1 conv=notrunc'));
  }
  const code = s0.subarray(0, 440);
  const gpt = table.kind === 'gpt';
  if (code.length === 440 && code.every((b) => b === 0)) {
    out.push(finding('error', 'LINT_MBR_NO_BOOT_CODE', 'mbr', 'the MBR boot code (bytes 0–439) is all zeros: the BIOS jumps into nothing', `dd if=/usr/lib/syslinux/mbr/${gpt ? 'gptmbr.bin' : 'mbr.bin'} of=IMG bs=440 count=1 conv=notrunc`));
  } else if (code.length === 440) {
    const refs = referenceMbrs();
    const match = [...refs].find(([, ref]) => ref.equals(code.subarray(0, 439)))?.[0];
    if (!match) {
      out.push(finding('info', 'LINT_MBR_UNKNOWN_CODE', 'mbr', `the MBR boot code is not one of the SYSLINUX MBRs on this host (${[...refs.keys()].join(', ') || 'none found'})`, 'fine if you use another boot loader\'s MBR; for this chain use gptmbr.bin (GPT) or mbr.bin (MBR)'));
    } else if (gpt && !match.startsWith('gptmbr')) {
      out.push(finding('error', 'LINT_MBR_WRONG_CODE', 'mbr', `the MBR boot code is SYSLINUX ${match}, which reads the MBR table, but the disk is GPT (only the 0xEE entry)`, 'install gptmbr.bin: dd if=/usr/lib/syslinux/mbr/gptmbr.bin of=IMG bs=440 count=1 conv=notrunc'));
    } else if (!gpt && match.startsWith('gptmbr')) {
      out.push(finding('error', 'LINT_MBR_WRONG_CODE', 'mbr', `the MBR boot code is SYSLINUX ${match}, but the disk has a plain MBR table (no GPT): it prints "Missing OS"`, 'install mbr.bin: dd if=/usr/lib/syslinux/mbr/mbr.bin of=IMG bs=440 count=1 conv=notrunc'));
    } else {
      out.push(finding('info', 'LINT_MBR_CODE', 'mbr', `MBR boot code is SYSLINUX ${match}`, 'none'));
    }
  }
  if (gpt && !table.mbr.protective) {
    out.push(finding('warning', 'LINT_NO_PROTECTIVE_MBR', 'mbr', 'GPT disk without a protective MBR entry (type 0xEE)', 'rewrite the GPT with sgdisk or sfdisk, which write the protective MBR'));
  }
  if (gpt && table.gpt && !table.gpt.headerCrcOk) {
    out.push(finding('error', 'LINT_GPT_HEADER_CRC', 'gpt', `GPT header at LBA ${table.gpt.lba} has a bad CRC32`, 'repair with sgdisk -e IMG or rewrite the table'));
  }
  if (gpt && table.gpt && !table.gpt.entriesCrcOk) {
    out.push(finding('warning', 'LINT_GPT_ENTRIES_CRC', 'gpt', `GPT entry array at LBA ${table.gpt.entriesLba} has a bad CRC32`, 'rewrite the table with sgdisk/sfdisk'));
  }
  if (table.kind === 'none') return out;
  const bootable = table.partitions.filter((p) => p.legacyBiosBootable);
  const what = gpt ? 'the LegacyBIOSBootable attribute (bit 2)' : 'the active flag (0x80)';
  if (bootable.length === 0) {
    out.push(finding('error', 'LINT_NO_BOOTABLE_PARTITION', gpt ? 'gpt' : 'mbr', `no partition has ${what}: ${gpt ? 'gptmbr.bin prints "Missing OS"' : 'mbr.bin prints "Missing operating system."'}`, gpt ? 'sgdisk --attributes=1:set:2 IMG (or sfdisk --part-attrs IMG 1 LegacyBIOSBootable)' : 'sfdisk --activate IMG 1'));
  } else if (bootable.length > 1) {
    out.push(finding('error', 'LINT_MULTIPLE_BOOTABLE_PARTITIONS', gpt ? 'gpt' : 'mbr', `partitions ${bootable.map((p) => p.number).join(', ')} all have ${what}: the MBR code prints "Multiple active partitions"`, `keep the flag on the SYSLINUX partition only${gpt ? ' (sgdisk --attributes=N:clear:2 IMG)' : ''}`));
  }
  return out;
}
