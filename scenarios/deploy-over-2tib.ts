import { defineScenario } from '../harness/define.ts';

// The same deployment onto a disk above 2 TiB (sparse, 2.5 TiB): past what an MBR partition table can
// address, so only the GPT reaches the end of the disk.
export default defineScenario({
  description: 'boot.img.gz | dd onto a 2.5 TiB disk + sgdisk -G, verified, boots through every stage',
  image: { name: 'hypersolid-cloud', deploy: { diskGiB: 2560 } },
  machine: { bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', path: '/boot.ipxe', count: 1 }],
  tags: ['deploy'],
});
