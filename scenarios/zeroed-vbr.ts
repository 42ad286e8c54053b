import { defineScenario } from '../harness/define.ts';

// The boot partition's first sector (SYSLINUX's boot sector) is zeroed: gptmbr.bin reads it,
// finds no 55AA and gives up, so the partition's boot code never runs.
export default defineScenario({
  description: "zeroed partition boot sector → gptmbr.bin reads it but it never runs",
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'vbr', fill: 0 }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'vbr', code: 'GPTMBR_MISSING_OS', lint: 'LINT_VBR_NO_SIGNATURE' },
  tags: ['negative'],
});
