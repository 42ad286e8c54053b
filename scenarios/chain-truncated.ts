import { defineScenario } from '../harness/define.ts';

// the server closes the connection before the whole config arrived (body shorter than Content-Length)
export default defineScenario({
  description: 'the server closes the connection before the whole config arrived (body shorter than Content-Length)',
  image: 'hypersolid-cloud-external',
  hosts: { 'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', body: '#!ipxe\necho this config is cut short before its end\n', truncateTo: 12 }] } },
  expect: { failAt: 'chain', code: 'IPXE_TRANSFER_CUT' },
  ledger: [{ host: 'ipxe1.example.org', path: '/myconfig.ipxe', status: 200 }],
  tags: ['negative', 'network'],
});
