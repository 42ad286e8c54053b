import { defineScenario } from '../harness/define.ts';

// The config server redirects (302) to where the config really is; iPXE follows, the chain completes, and
// the ledger shows both requests in order.
export default defineScenario({
  description: 'the config server answers 302 to the real location; iPXE follows the redirect',
  image: 'hypersolid-cloud-external',
  hosts: {
    'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', redirect: '/configs/current.ipxe' }, { path: '/configs/current.ipxe', template: '#!ipxe\necho redirected config ran\n' }] },
  },
  stages: [{ id: 'chained', title: 'the redirected config ran', console: 'redirected config ran' }],
  expect: { pass: 'chained' },
  ledgerInOrder: true,
  ledger: [
    { host: 'ipxe1.example.org', path: '/myconfig.ipxe', status: 302, count: 1 },
    { host: 'ipxe1.example.org', path: '/configs/current.ipxe', status: 200, count: 1 },
  ],
  tags: ['network'],
});
