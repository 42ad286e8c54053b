import { defineScenario } from '../harness/define.ts';

// Partition 1 lost its legacy-BIOS-bootable attribute (bit 2): gptmbr.bin finds no partition to boot.
export default defineScenario({
  description: 'no partition has the legacy BIOS bootable attribute → gptmbr.bin "Missing OS"',
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'gpt-attribute', partition: 1, legacyBootable: false }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'gpt', code: 'GPTMBR_MISSING_OS', lint: 'LINT_NO_BOOTABLE_PARTITION' },
  tags: ['negative'],
});
