import { defineScenario } from '../harness/define.ts';

// The kernel command line lacks console=ttyS0: the kernel runs (its real-mode setup prints through the BIOS)
// but nothing it or its init prints reaches the serial console.
export default defineScenario({
  description: 'kernel command line without console=ttyS0 → the kernel runs, userspace is never seen → fails at init',
  image: 'hypersolid-cloud',
  machine: { bootfile: '/boot.ipxe', icountShift: 6, memoryMiB: 512 },
  routes: [
    { path: '/boot.ipxe', template: '#!ipxe\nkernel ${stub}/vmlinuz\ninitrd ${stub}/initrd.gz\nboot\n' },
    { path: '/vmlinuz', payload: 'test-kernel' },
    { path: '/initrd.gz', payload: 'test-initramfs' },
  ],
  expect: { failAt: 'init', code: 'NO_SERIAL_CONSOLE' },
  timeoutMs: 240_000,
  tags: ['negative', 'os'],
});
