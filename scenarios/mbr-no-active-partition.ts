import { defineScenario } from '../harness/define.ts';

// The MBR chain with the active flag (0x80) cleared on every partition entry: SYSLINUX's mbr.bin finds no
// partition to boot, prints "Missing operating system." and gives the disk back to the BIOS (int 18h).
export default defineScenario({
  description: 'MBR disk without an active partition → mbr.bin "Missing operating system."',
  image: { name: 'hypersolid-mbr-extlinux', corrupt: [{ region: 'mbr-active' }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'mbr', code: 'MBR_MISSING_OS', lint: 'LINT_NO_BOOTABLE_PARTITION' },
  console: ['Missing operating system.'],
  tags: ['negative'],
});
