import { defineScenario } from '../harness/define.ts';

// the chained config is missing on the server: HTTP 404 → iPXE 2d0c613b
export default defineScenario({
  description: 'the chained config is missing on the server: HTTP 404 → iPXE 2d0c613b',
  image: 'hypersolid-cloud-external',
  hosts: { 'ipxe1.example.org': { routes: [{ path: '/other.ipxe', body: '#!ipxe\n' }] } },
  expect: { failAt: 'chain', code: 'IPXE_HTTP_404' },
  ledger: [{ host: 'ipxe1.example.org', path: '/myconfig.ipxe', status: 404 }],
  tags: ['negative', 'network'],
});
