import { defineScenario } from '../harness/define.ts';

// ipxe.lkrn's setup header destroyed: SYSLINUX loads the file but it is not a bzImage.
export default defineScenario({
  description: 'ipxe.lkrn is not a kernel → "Booting kernel failed: Invalid argument"',
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'file', path: '/extlinux/ipxe.lkrn', offset: 0, length: 4096, fill: 0 }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'ipxe', code: 'KERNEL_NOT_BZIMAGE', lint: 'LINT_KERNEL_NOT_BZIMAGE' },
  tags: ['negative'],
});
