import { defineScenario } from '../harness/define.ts';

// the config server is down (connection refused) → iPXE 0f0a6039
export default defineScenario({
  description: 'the config server is down (connection refused) → iPXE 0f0a6039',
  image: 'hypersolid-cloud-external',
  hosts: { 'ipxe1.example.org': 'down' },
  expect: { failAt: 'chain', code: 'IPXE_CONNECTION_REFUSED' },
  dns: [{ name: 'ipxe1.example.org', answered: true }],
  tags: ['negative', 'network'],
});
