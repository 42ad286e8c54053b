import { defineScenario } from '../harness/define.ts';

// ldlinux.c32 deleted from /extlinux: the core cannot load its second half.
export default defineScenario({
  description: 'ldlinux.c32 deleted → "Failed to load ldlinux.c32"',
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'delete-file', path: '/extlinux/ldlinux.c32' }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'ldlinux-c32', code: 'LDLINUX_C32_MISSING', lint: 'LINT_NO_LDLINUX_C32' },
  tags: ['negative'],
});
