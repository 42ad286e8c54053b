import { defineScenario } from '../harness/define.ts';

// The chained config forgets the initrd: the kernel has no root file system and panics (panic=-1: QEMU exits).
export default defineScenario({
  description: 'kernel without initrd → "VFS: Unable to mount root fs" panic → fails at init',
  image: 'hypersolid-cloud',
  machine: { bootfile: '/boot.ipxe', icountShift: 6, memoryMiB: 512 },
  routes: [
    { path: '/boot.ipxe', template: '#!ipxe\nkernel ${stub}/vmlinuz console=ttyS0 panic=-1\nboot\n' },
    { path: '/vmlinuz', payload: 'test-kernel' },
  ],
  expect: { failAt: 'init', code: 'KERNEL_PANIC_NO_ROOT' },
  timeoutMs: 240_000,
  tags: ['negative', 'os'],
});
