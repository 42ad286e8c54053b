import { defineScenario } from '../harness/define.ts';

// Both partitions carry attribute bit 2: gptmbr.bin refuses to choose.
export default defineScenario({
  description: 'two partitions with the legacy BIOS bootable attribute → "Multiple active partitions"',
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'gpt-attribute', partition: 2, legacyBootable: true }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'gpt', code: 'GPTMBR_MULTIPLE_ACTIVE', lint: 'LINT_MULTIPLE_BOOTABLE_PARTITIONS' },
  tags: ['negative'],
});
