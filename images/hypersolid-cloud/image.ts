import { defineImage } from '../../harness/image/types.ts';

/** The seed's default image: SYSLINUX chainloads iPXE (embedded script or autoboot). */
export default defineImage({
  description: 'hypersolid cloud bootloader, embedded-script variant (seed default)',
  layout: { diskMiB: 512, bootMiB: 10, bootName: 'boot', confName: 'conf', bootFs: 'ext2', confFs: 'ext4' },
});
