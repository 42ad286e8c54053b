import { defineScenario } from '../harness/index.ts';

// All the way to a running OS: the chained config loads bootchain's test kernel (Debian's cloud kernel) and
// initramfs (busybox) from the stub; the initramfs's /init prints the kernel command line — proving what iPXE
// passed, ${serial} included — and powers off. Linux needs a slower warp than the firmware (shift 6).
export default defineScenario({
  description: 'chain → kernel + initrd from the stub → Linux → init prints its command line and powers off',
  image: 'hypersolid-cloud',
  machine: { smbiosSerial: 'BC-OS-0001', bootfile: '/boot.ipxe', icountShift: 6, memoryMiB: 512 },
  routes: [
    { path: '/boot.ipxe', template: '#!ipxe\nkernel ${stub}/vmlinuz console=ttyS0 panic=-1 bootchain.serial=${serial}\ninitrd ${stub}/initrd.gz\nboot\n', contentType: 'text/plain' },
    { path: '/vmlinuz', payload: 'test-kernel' },
    { path: '/initrd.gz', payload: 'test-initramfs' },
  ],
  expect: { pass: 'init' },
  ledgerInOrder: true,
  ledger: [
    { method: 'GET', path: '/boot.ipxe', count: 1 },
    { method: 'GET', path: '/vmlinuz', status: 200, count: 1 },
    { method: 'GET', path: '/initrd.gz', status: 200, count: 1 },
  ],
  console: ['BOOTCHAIN-INIT cmdline: console=ttyS0 panic=-1 bootchain.serial=BC-OS-0001'],
  timeoutMs: 240_000,
  tags: ['os'],
});
