import { defineScenario } from '../harness/define.ts';

// GRUB 2 for BIOS (images/hypersolid-grub-bios): boot.img → core.img (LBA 1) → /boot/grub/grub.cfg →
// linux16 /boot/ipxe.lkrn; iPXE autoboots the DHCP filename.
export default defineScenario({
  description: 'GRUB 2 (i386-pc) on an MBR disk: boot.img → core.img → grub.cfg → linux16 ipxe.lkrn → chained script',
  image: 'hypersolid-grub-bios',
  machine: { bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  skipped: ['gpt', 'vbr', 'ldlinux-sys', 'ldlinux-c32', 'config'],
  ledger: [{ method: 'GET', path: '/boot.ipxe' }],
  console: ['Welcome to GRUB!'],
});
