import { defineScenario } from '../harness/define.ts';

// The seed's third way to give iPXE its script: extlinux.conf's APPEND line is iPXE's command line, which
// iPXE runs as a script (no #!ipxe needed). The report's script stage says which source ran.
export default defineScenario({
  description: "APPEND dhcp && chain …: iPXE runs its kernel command line as the script (the seed's command-line path)",
  image: {
    name: 'hypersolid-cloud',
    overlay: {
      'extlinux/extlinux.conf': 'DEFAULT ipxe\n  SAY booting iPXE from SYSLINUX\nLABEL ipxe\n  LINUX ipxe.lkrn\n  APPEND dhcp && chain http://ipxe1.example.org/myconfig.ipxe?serial=${serial}\n',
    },
  },
  machine: { smbiosSerial: 'BC-CMDLINE-01' },
  hosts: { 'ipxe1.example.org': { routes: [{ path: '/myconfig.ipxe', template: '#!ipxe\necho ${marker} from the command-line script\n' }] } },
  stages: [{ id: 'chained', title: 'the chained config ran', console: 'from the command-line script' }],
  expect: { pass: 'chained' },
  ledger: [{ host: 'ipxe1.example.org', path: '/myconfig.ipxe', query: { serial: '${serial}' }, count: 1 }],
  scriptSource: 'command line',
});
