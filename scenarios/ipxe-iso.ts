import { defineScenario } from '../harness/define.ts';

// Debian's own /usr/lib/ipxe/ipxe.iso, booted as it is: an isohybrid image whose MBR code loads ISOLINUX,
// which loads iPXE, which autoboots the DHCP filename. Its ladder has no GPT and no partition boot sector:
// those stages are skipped with the reason, never passed.
export default defineScenario({
  description: "Debian's ipxe.iso as it is: isohybrid MBR → ISOLINUX → iPXE → autoboot",
  image: { file: '/usr/lib/ipxe/ipxe.iso' },
  machine: { smbiosSerial: 'BC-ISO-0001', bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  skipped: ['gpt', 'vbr'],
  ledger: [{ method: 'GET', path: '/boot.ipxe', count: 1 }],
  console: ['ISOLINUX 6.04', 'iPXE ISO boot image'],
  tags: ['chains'],
});
