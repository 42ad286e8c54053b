import { defineScenario } from '../harness/define.ts';

// SYSLINUX-on-FAT with the FAT partition's boot sector zeroed (BPB and 55AA gone): mbr.bin reads the
// active partition's first sector, finds no 55AA and prints "Missing operating system.".
export default defineScenario({
  description: 'SYSLINUX on FAT: boot sector zeroed → mbr.bin reads it, "Missing operating system."',
  image: { name: 'hypersolid-mbr-syslinux-fat', corrupt: [{ region: 'vbr', fill: 0 }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'vbr', code: 'MBR_MISSING_OS' },
  console: ['Missing operating system.'],
  skipped: ['gpt'],
  tags: ['negative'],
});
