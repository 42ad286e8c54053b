import { defineScenario } from '../harness/define.ts';

// All the way to a running OS, the seed's way: the external script (INITRD ipxe.conf, unmodified) chains
// http://ipxe1.example.org/myconfig.ipxe?serial=${serial}; the chained config loads bootchain's test kernel
// (Debian's cloud kernel) and initramfs (busybox) from the same host; /init prints the kernel command line —
// proving iPXE passed the SMBIOS serial — and powers off, so QEMU exits by itself. 13 stages.
// Linux needs a slower warp than the firmware (shift 6; shift 8 starves it, facts file).
export default defineScenario({
  description: 'external script → chained config → test kernel + initramfs → init prints serial= from the kernel command line → power off',
  image: 'hypersolid-cloud-external',
  machine: { smbiosSerial: 'BC-OS-0001', icountShift: 6, memoryMiB: 512 },
  hosts: {
    'ipxe1.example.org': {
      routes: [
        { path: '/myconfig.ipxe', template: '#!ipxe\nkernel http://ipxe1.example.org/vmlinuz console=ttyS0 panic=-1 serial=${query.serial}\ninitrd http://ipxe1.example.org/initrd.gz\nboot\n', contentType: 'text/plain' },
        { path: '/vmlinuz', payload: 'test-kernel' },
        { path: '/initrd.gz', payload: 'test-initramfs' },
      ],
    },
  },
  expect: { pass: 'init' },
  ledgerInOrder: true,
  ledger: [
    { method: 'GET', host: 'ipxe1.example.org', path: '/myconfig.ipxe', query: { serial: '${serial}' }, count: 1 },
    { method: 'GET', host: 'ipxe1.example.org', path: '/vmlinuz', status: 200, count: 1 },
    { method: 'GET', host: 'ipxe1.example.org', path: '/initrd.gz', status: 200, count: 1 },
  ],
  console: ['BOOTCHAIN-INIT cmdline: console=ttyS0 panic=-1 serial=BC-OS-0001'],
  timeoutMs: 240_000,
  tags: ['os'],
});
