import { defineScenario } from '../harness/define.ts';

// an HTML error page (status 200) where the chained script is expected
export default defineScenario({
  description: 'an HTML error page (status 200) where the chained script is expected',
  image: 'hypersolid-cloud-external',
  hosts: { 'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', contentType: 'text/html', body: '<html><head><title>Error</title></head><body><h1>Service unavailable</h1></body></html>\n' }] } },
  expect: { failAt: 'chain', code: 'CHAIN_NOT_A_SCRIPT' },
  ledger: [{ host: 'ipxe1.example.org', path: '/myconfig.ipxe', status: 200 }],
  tags: ['negative', 'network'],
});
