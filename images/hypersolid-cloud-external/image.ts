import { defineImage } from '../../harness/image/types.ts';

/** The seed's external-script variant: ipxe.conf passed to iPXE as INITRD, chains the production URL. */
export default defineImage({
  description: 'hypersolid cloud bootloader, external iPXE script (INITRD ipxe.conf)',
});
