import { defineScenario } from '../harness/define.ts';

// The seed's files on the mbr-syslinux-fat chain (images/hypersolid-mbr-syslinux-fat); iPXE autoboots the DHCP filename.
export default defineScenario({
  description: 'MBR disk: mbr.bin → active FAT16 p1 → SYSLINUX boot sector → /syslinux/ldlinux.sys → syslinux.cfg → ipxe.lkrn → chained script',
  image: 'hypersolid-mbr-syslinux-fat',
  machine: { bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  skipped: ['gpt'],
  ledger: [{ method: 'GET', path: '/boot.ipxe' }],
  console: ['booting iPXE from SYSLINUX'],
});
