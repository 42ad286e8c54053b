import { defineScenario } from '../harness/define.ts';

// The seed's default image on the virtual machines a cloud image meets: every disk bus, NIC model, machine
// type and memory size at least once (a covering set of 5 cells, not the 80-cell cross product: each cell
// changes every axis, so a value that breaks the chain fails its own cell; `cross: true` runs them all).
// Run one cell: bootchain run --scenario hardware-matrix --only diskBus=nvme
export default defineScenario({
  description: 'the seed image on every disk bus, NIC, machine type and memory size (covering set)',
  image: 'hypersolid-cloud',
  machine: { smbiosSerial: 'BC-HW-0001', bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  matrix: {
    diskBus: ['virtio', 'ide', 'ahci', 'virtio-scsi', 'nvme'],
    nic: ['virtio-net-pci', 'e1000', 'e1000e', 'rtl8139'],
    machine: ['pc', 'q35'],
    memoryMiB: [256, 512],
  },
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', path: '/boot.ipxe', count: 1 }],
  tags: ['matrix'],
});
