import { defineScenario } from '../harness/define.ts';

// The initrd is not an initramfs (a text file): the kernel cannot unpack it and finds no root file system.
export default defineScenario({
  description: 'the initrd is not a cpio archive → "Initramfs unpacking failed" → fails at init',
  image: 'hypersolid-cloud',
  machine: { bootfile: '/boot.ipxe', icountShift: 6, memoryMiB: 512 },
  routes: [
    { path: '/boot.ipxe', template: '#!ipxe\nkernel ${stub}/vmlinuz console=ttyS0 panic=-1\ninitrd ${stub}/initrd.gz\nboot\n' },
    { path: '/vmlinuz', payload: 'test-kernel' },
    { path: '/initrd.gz', body: 'this is not an initramfs\n'.repeat(64), contentType: 'application/octet-stream' },
  ],
  expect: { failAt: 'init', code: 'INITRD_UNPACK_FAILED' },
  timeoutMs: 240_000,
  tags: ['negative', 'os'],
});
