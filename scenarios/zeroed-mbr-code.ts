import { defineScenario } from '../harness/define.ts';

// gptmbr.bin replaced by zeros (the 55AA signature kept): SeaBIOS jumps into zeros, which never
// read the GPT. Only the disk reads can tell this from a failure further on.
export default defineScenario({
  description: 'MBR boot code zeroed (signature kept) → the MBR code never reads the GPT',
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'mbr-code', fill: 0 }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'mbr', code: 'STAGE_TIMEOUT', lint: 'LINT_MBR_NO_BOOT_CODE' },
  timeoutMs: 60_000,
  tags: ['negative'],
});
