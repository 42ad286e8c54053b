import { defineScenario } from '../harness/define.ts';

// The seed's deployment: the built boot.img.gz decompressed with `gzip -d | dd` onto a much larger disk
// (a sparse 20 GiB file), then `sgdisk -G` as the seed's README says; verified (sgdisk -v text, the backup
// GPT at the end of the disk, new GUIDs) and booted through every stage.
export default defineScenario({
  description: 'boot.img.gz | dd onto a 20 GiB disk + sgdisk -G, verified, boots through every stage',
  image: { name: 'hypersolid-cloud', deploy: { diskGiB: 20 } },
  machine: { bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', path: '/boot.ipxe', count: 1 }],
  tags: ['deploy'],
});
