import { defineScenario } from '../harness/define.ts';

// the server wants credentials (401 with a Basic challenge) and the script has none → iPXE 0243613c
export default defineScenario({
  description: 'the server wants credentials (401 with a Basic challenge) and the script has none → iPXE 0243613c',
  image: 'hypersolid-cloud-external',
  hosts: { 'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', status: 401, headers: { 'www-authenticate': 'Basic realm="boot"' }, body: 'unauthorized\n' }] } },
  expect: { failAt: 'chain', code: 'IPXE_HTTP_401' },
  ledger: [{ host: 'ipxe1.example.org', path: '/myconfig.ipxe', status: 401 }],
  tags: ['negative', 'network'],
});
