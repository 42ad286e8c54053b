import { defineScenario } from '../harness/define.ts';

// The seed's default image ("Embedded iPXE script" style: extlinux.conf only names ipxe.lkrn).
// Debian's ipxe.lkrn has no embedded script, so iPXE autoboots: DHCP hands it the stub's URL.
export default defineScenario({
  description: "seed's default image: LINUX ipxe.lkrn, no INITRD; iPXE autoboots the DHCP filename",
  image: 'hypersolid-cloud',
  machine: { smbiosSerial: 'BC-EMB-0001', bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', path: '/boot.ipxe' }],
  console: ['booting iPXE from SYSLINUX'],
});
