import { defineScenario } from '../harness/define.ts';

// The seed's "External iPXE script", byte for byte: extlinux.conf has `INITRD ipxe.conf`, and ipxe.conf runs
// `dhcp` then chains http://ipxe1.example.org/myconfig.ipxe?serial=${serial}. Nothing is rewritten: the
// boot's private network serves ipxe1.example.org on port 80 and answers its DNS query.
export default defineScenario({
  description: "seed's External iPXE script, unmodified: INITRD ipxe.conf → dhcp → chain http://ipxe1.example.org/myconfig.ipxe?serial=${serial}",
  image: 'hypersolid-cloud-external',
  machine: { smbiosSerial: 'BC-EXT-0001' },
  hosts: {
    'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', template: '#!ipxe\necho ${marker} serial=${query.serial}\n', contentType: 'text/plain' }] },
  },
  stages: [{ id: 'chained', title: 'the chained config ran', console: 'BOOTCHAIN-MARKER-external-script serial=BC-EXT-0001' }],
  expect: { pass: 'chained' },
  ledger: [{ method: 'GET', host: 'ipxe1.example.org', path: '/myconfig.ipxe', query: { serial: '${serial}' } }],
  console: ['booting iPXE from SYSLINUX', 'booting LINUX from iPXE'],
});
