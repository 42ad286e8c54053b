import { defineScenario } from '../harness/define.ts';

// the config server never answers (SYNs dropped): iPXE times out → 4c0a6035
export default defineScenario({
  description: 'the config server never answers (SYNs dropped): iPXE times out → 4c0a6035',
  image: 'hypersolid-cloud-external',
  hosts: { 'ipxe1.example.org': 'blackhole' },
  expect: { failAt: 'chain', code: 'IPXE_TIMEOUT' },
  dns: [{ name: 'ipxe1.example.org', answered: true }],
  tags: ['negative', 'network'],
});
