import { defineScenario } from '../harness/index.ts';

// The seed's "External iPXE script": extlinux.conf has `INITRD ipxe.conf`, and ipxe.conf runs
// `dhcp` then chains myconfig.ipxe with the SMBIOS serial. The chain URL points at the stub.
export default defineScenario({
  description: "seed's External iPXE script: INITRD ipxe.conf → dhcp → chain myconfig.ipxe?serial=${serial}",
  image: {
    name: 'hypersolid-cloud-external',
    overlay: {
      'ipxe/ipxe.conf': [
        '#!ipxe',
        '',
        'echo booting LINUX from iPXE',
        '',
        '# network setup',
        '# ------------------------------------------------------------------',
        '',
        '# try to get an IP via dhcp',
        'dhcp',
        'chain {{stub}}/myconfig.ipxe?serial=${serial}',
        '',
      ].join('\n'),
    },
  },
  machine: { smbiosSerial: 'BC-EXT-0001' },
  routes: [
    {
      path: '/myconfig.ipxe',
      template: '#!ipxe\necho ${marker} serial=${query.serial}\n',
      contentType: 'text/plain',
    },
  ],
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', path: '/myconfig.ipxe', query: { serial: '${serial}' } }],
  console: ['booting iPXE from SYSLINUX', 'booting LINUX from iPXE'],
});
