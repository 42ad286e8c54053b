import { defineImage } from '../../harness/image/types.ts';

/** The seed's files on an MBR disk: SYSLINUX mbr.bin, p1 active ext2 with EXTLINUX in /extlinux, p2 ext4. */
export default defineImage({
  description: 'hypersolid cloud bootloader on an MBR (DOS label) disk: mbr.bin → EXTLINUX on ext2 → ipxe.lkrn',
  layout: { chain: 'mbr-extlinux', diskMiB: 512, bootMiB: 10, bootName: 'boot', confName: 'conf', bootFs: 'ext2', confFs: 'ext4' },
});
