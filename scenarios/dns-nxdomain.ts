import { defineScenario } from '../harness/define.ts';

// The script chains to a name the private network does not know: the DNS stub answers NXDOMAIN, iPXE
// reports 3e11613b at once, and nothing is asked of any server.
export default defineScenario({
  description: 'the chain host name does not resolve (NXDOMAIN from the DNS stub) → iPXE 3e11613b',
  image: 'hypersolid-cloud-external',
  hosts: { 'other.example.org': { routes: [{ path: '/myconfig.ipxe', body: '#!ipxe\n' }] } },
  expect: { failAt: 'chain', code: 'IPXE_DNS_NOT_FOUND' },
  ledger: [{ count: 0 }],
  dns: [{ name: 'ipxe1.example.org', type: 'A', answered: false }],
  tags: ['negative', 'network'],
});
