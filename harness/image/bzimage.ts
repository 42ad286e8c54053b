import { BootchainError } from '../errors.ts';

/** Throws BAD_KERNEL unless `buf` is a Linux bzImage (0x55AA at 0x1FE, "HdrS" at 0x202), as SYSLINUX's LINUX needs. */
export function checkBzImage(buf: Buffer, file: string): void {
  const sig = buf.length >= 0x200 && buf[0x1fe] === 0x55 && buf[0x1ff] === 0xaa;
  const hdrs = buf.length >= 0x206 && buf.toString('latin1', 0x202, 0x206) === 'HdrS';
  if (sig && hdrs) return;
  const missing = [sig ? null : '0x55AA at 0x1FE', hdrs ? null : '"HdrS" at 0x202'].filter(Boolean).join(' and ');
  throw new BootchainError(
    'BAD_KERNEL',
    `${file} is not a bzImage (no ${missing}; ${buf.length} bytes): SYSLINUX would print "Booting kernel failed: Invalid argument"`,
    'supply an iPXE built as ipxe.lkrn (make bin/ipxe.lkrn), or remove the file to use Debian\'s /usr/lib/ipxe/ipxe.lkrn',
  );
}
