import { defineImage } from '../../harness/image/types.ts';

/**
 * The seed's files on an MBR disk booted by SYSLINUX from FAT: mbr.bin, p1 active FAT (SYSLINUX's own boot
 * sector, /syslinux/ldlinux.sys, extlinux.conf installed as /syslinux/syslinux.cfg), p2 ext4.
 */
export default defineImage({
  description: 'hypersolid cloud bootloader, SYSLINUX on FAT: mbr.bin → SYSLINUX VBR → ldlinux.sys → ipxe.lkrn',
  layout: { chain: 'mbr-syslinux-fat', diskMiB: 512, bootMiB: 10, bootName: 'boot', confName: 'conf', confFs: 'ext4' },
});
