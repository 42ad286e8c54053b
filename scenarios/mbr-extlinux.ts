import { defineScenario } from '../harness/define.ts';

// The seed's files on the mbr-extlinux chain (images/hypersolid-mbr-extlinux); iPXE autoboots the DHCP filename.
export default defineScenario({
  description: 'MBR disk: mbr.bin → active ext2 p1 → EXTLINUX (/extlinux) → ipxe.lkrn → chained script',
  image: 'hypersolid-mbr-extlinux',
  machine: { bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  skipped: ['gpt'],
  ledger: [{ method: 'GET', path: '/boot.ipxe' }],
  console: ['booting iPXE from SYSLINUX'],
});
