import { defineScenario } from '../harness/define.ts';

// A failover script using only commands Debian's iPXE has: the primary config server is down (connection
// refused), so `||` falls through to the secondary, which serves the config. The ledger proves the
// secondary was asked once and nothing else was.
export default defineScenario({
  description: 'primary config server down → the script falls over to the secondary (|| chain)',
  image: {
    name: 'hypersolid-cloud-external',
    overlay: {
      'ipxe/ipxe.conf': [
        '#!ipxe',
        'dhcp',
        'chain http://primary.example.org/myconfig.ipxe?serial=${serial} || echo primary failed, trying the secondary',
        'chain http://secondary.example.org/myconfig.ipxe?serial=${serial}',
        '',
      ].join('\n'),
    },
  },
  machine: { smbiosSerial: 'BC-FAILOVER-01' },
  hosts: {
    'primary.example.org': 'down',
    'secondary.example.org': { routes: [{ path: '/myconfig.ipxe', template: '#!ipxe\necho served by the secondary for ${query.serial}\n' }] },
  },
  stages: [{ id: 'chained', title: 'the secondary\'s config ran', console: 'served by the secondary for BC-FAILOVER-01' }],
  expect: { pass: 'chained' },
  ledger: [
    { host: 'primary.example.org', count: 0 },
    { method: 'GET', host: 'secondary.example.org', path: '/myconfig.ipxe', query: { serial: '${serial}' }, status: 200, count: 1 },
  ],
  dns: [{ name: 'primary.example.org', answered: true }, { name: 'secondary.example.org', answered: true }],
  console: ['primary failed, trying the secondary'],
});
