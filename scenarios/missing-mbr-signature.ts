import { defineScenario } from '../harness/define.ts';

// No 55AA at the end of LBA 0: SeaBIOS will not run the MBR at all.
export default defineScenario({
  description: 'MBR without the 55AA signature → SeaBIOS "Boot failed: not a bootable disk"',
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'mbr-signature', fill: 0 }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'mbr', code: 'SEABIOS_NOT_BOOTABLE', lint: 'LINT_NO_MBR_SIGNATURE' },
  tags: ['negative'],
});
