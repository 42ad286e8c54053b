import { defineScenario } from '../harness/define.ts';

// The NIC is on a network where nothing answers: iPXE's dhcp gives up (~15 s guest time).
export default defineScenario({
  description: 'DHCP never answers → iPXE "No configuration methods succeeded" (040ee119)',
  image: 'hypersolid-cloud-external',
  machine: { network: 'isolated' },
  expect: { failAt: 'network', code: 'IPXE_NO_DHCP' },
  tags: ['negative'],
});
