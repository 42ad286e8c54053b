import { defineScenario } from '../harness/define.ts';

// the server fails: HTTP 500 → iPXE 1d0c6539 (server error)
export default defineScenario({
  description: 'the server fails: HTTP 500 → iPXE 1d0c6539 (server error)',
  image: 'hypersolid-cloud-external',
  hosts: { 'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', status: 500, body: 'internal error\n' }] } },
  expect: { failAt: 'chain', code: 'IPXE_HTTP_ERROR' },
  ledger: [{ host: 'ipxe1.example.org', path: '/myconfig.ipxe', status: 500 }],
  tags: ['negative', 'network'],
});
