import { defineScenario } from '../harness/define.ts';

// The chained config's server answers after 3 s: iPXE waits, the chain still completes. The delay counts
// guest time, so under time warp the guest idles through it at once, as it would on hardware.
export default defineScenario({
  description: 'the chained config arrives after a 3 s server delay; iPXE waits and the chain completes',
  image: {
    name: 'hypersolid-cloud-external',
    overlay: { 'ipxe/ipxe.conf': '#!ipxe\necho booting LINUX from iPXE\ndhcp\nchain {{stub}}/myconfig.ipxe?serial=${serial}\n' },
  },
  machine: { smbiosSerial: 'BC-SLOW-0001' },
  routes: [{ path: '/myconfig.ipxe', delayMs: 3000, template: '#!ipxe\necho ${marker} after a slow server\n' }],
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', path: '/myconfig.ipxe', query: { serial: '${serial}' } }],
  // The run ends the moment chain passes, so console expectations name output before it.
  console: ['booting LINUX from iPXE'],
});
