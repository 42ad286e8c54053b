import { defineScenario } from '../harness/define.ts';

// The chained config names a kernel the server does not have: iPXE's `kernel` gets 404, so no kernel runs.
export default defineScenario({
  description: 'the chained config loads a kernel the server does not have (404) → fails at kernel',
  image: 'hypersolid-cloud',
  machine: { bootfile: '/boot.ipxe', icountShift: 6, memoryMiB: 512 },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\nkernel ${stub}/vmlinuz-missing console=ttyS0\ninitrd ${stub}/initrd.gz\nboot\n' }, { path: '/initrd.gz', payload: 'test-initramfs' }],
  expect: { failAt: 'kernel', code: 'IPXE_HTTP_404' },
  ledger: [{ path: '/vmlinuz-missing', status: 404 }],
  tags: ['negative', 'os'],
});
