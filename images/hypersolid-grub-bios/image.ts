import { defineImage } from '../../harness/image/types.ts';

/**
 * The seed's iPXE booted by GRUB 2 for BIOS: boot.img in the MBR, core.img in the post-MBR gap (LBA 1),
 * p1 active ext2 with /boot/grub/grub.cfg (+ the i386-pc modules) and /boot/ipxe.lkrn, p2 ext4.
 */
export default defineImage({
  description: 'hypersolid cloud bootloader via GRUB 2 (i386-pc): boot.img → core.img → grub.cfg → linux16 ipxe.lkrn',
  layout: { chain: 'grub-bios', diskMiB: 512, bootMiB: 10, bootName: 'boot', confName: 'conf', bootFs: 'ext2', confFs: 'ext4' },
});
