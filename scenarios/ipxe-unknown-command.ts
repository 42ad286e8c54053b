import { defineScenario } from '../harness/define.ts';

// The script uses `ping`, which Debian's ipxe.lkrn does not contain: the script aborts before `chain`.
export default defineScenario({
  description: 'iPXE script uses a command the ipxe.lkrn lacks (ping) → "ping: command not found"',
  image: {
    name: 'hypersolid-cloud-external',
    overlay: { 'ipxe/ipxe.conf': '#!ipxe\n\necho booting LINUX from iPXE\ndhcp\nping -c 1 10.0.2.2\nchain {{stub}}/myconfig.ipxe?serial=${serial}\n' },
  },
  routes: [{ path: '/myconfig.ipxe', template: '#!ipxe\necho ${marker}\n' }],
  expect: { failAt: 'chain', code: 'IPXE_COMMAND_NOT_FOUND', lint: 'LINT_IPXE_UNKNOWN_COMMAND' },
  tags: ['negative'],
});
