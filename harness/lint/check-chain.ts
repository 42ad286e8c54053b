import { describeChain, hasIso9660 } from '../image/chain-detect.ts';
import type { ChainInfo } from '../image/types.ts';
import type { LintContext } from './lint-context.ts';
import { finding, type LintFinding } from './types.ts';

/**
 * Lint for chains other than SYSLINUX-from-a-partition: the checks that hold for every BIOS disk (55AA, a
 * boot code that is not zeros) and the chain's own, with an info finding saying what was not checked —
 * never a SYSLINUX error on an image that does not use SYSLINUX that way.
 */
export function checkOtherChain(ctx: LintContext, chain: ChainInfo): LintFinding[] {
  const out: LintFinding[] = [];
  if (!ctx.table.mbr.hasSignature) {
    out.push(finding('error', 'LINT_NO_MBR_SIGNATURE', 'mbr', 'sector 0 has no 55AA signature at byte 510: SeaBIOS prints "Boot failed: not a bootable disk"', 'rebuild the image (isohybrid / grub-install write it)'));
  }
  if (chain.mbrCode.kind === 'zero') {
    out.push(finding('error', 'LINT_MBR_NO_BOOT_CODE', 'mbr', 'the MBR boot code (bytes 0–439) is all zeros: the BIOS jumps into nothing', 'reinstall the boot loader'));
  } else {
    out.push(finding('info', 'LINT_CHAIN', 'mbr', `chain: ${describeChain(chain)}`, 'none'));
  }
  switch (chain.ladder) {
    case 'isolinux-hybrid': {
      if (!hasIso9660(ctx.reader)) out.push(finding('error', 'LINT_ISO_NO_PVD', 'ldlinux-sys', 'no ISO 9660 primary volume descriptor at byte 32768: isolinux.bin cannot be found', 'rebuild the ISO (xorriso/genisoimage) and run isohybrid on it'));
      const active = ctx.table.partitions.filter((p) => p.legacyBiosBootable);
      if (active.length !== 1) out.push(finding('warning', 'LINT_ISOHYBRID_ACTIVE', 'mbr', `the isohybrid MBR has ${active.length} active partitions (expected 1, starting at sector 0)`, 'rerun isohybrid on the ISO'));
      out.push(finding('info', 'LINT_CHAIN_UNCHECKED', 'ldlinux-sys', 'ISOLINUX chain: checked the MBR signature and code, the ISO 9660 volume and the active entry; not checked: isolinux.bin\'s boot info table, isolinux.cfg, the kernel and its script (boot the image to see them)', 'none'));
      break;
    }
    case 'grub':
      out.push(finding('info', 'LINT_CHAIN_UNCHECKED', 'grub-core', "GRUB chain: checked the MBR signature and that the MBR code is GRUB's boot.img; not checked: core.img (its prefix and modules), grub.cfg and the kernel it boots (boot the image to see them)", 'none'));
      break;
    default:
      out.push(finding('info', 'LINT_CHAIN_UNKNOWN', 'mbr', `unknown chain (${describeChain(chain)}): checked only the MBR signature and boot code; not checked: partitions, boot sectors, loader, config, kernel`, 'boot the image: the stage table shows how far it gets'));
  }
  return out;
}
