import { defineScenario } from '../harness/define.ts';

// The image you ship, as you ship it: the seed README's external script verbatim, chaining to the production
// host name. The boot's private network answers ipxe1.example.org (and nothing else), so the test never
// talks to a real server, and the ledger proves what the guest asked for.
export default defineScenario({
  description: 'unmodified production URL: ipxe1.example.org is served by the stub in a private network; the ledger holds the SMBIOS serial',
  image: 'hypersolid-cloud-external',
  machine: { smbiosSerial: 'PROD-SERIAL-4711' },
  hosts: {
    'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', template: '#!ipxe\necho production config for ${query.serial}\n', contentType: 'text/plain' }] },
  },
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', host: 'ipxe1.example.org', path: '/myconfig.ipxe', query: { serial: '${serial}' }, status: 200, count: 1 }],
  dns: [{ name: 'ipxe1.example.org', type: 'A', answered: true }],
});
