import { defineScenario } from '../harness/define.ts';

// SYSLINUX shows `boot:` and waits 5 s (PROMPT 1, TIMEOUT 50) before booting the default: a prompt that
// is meant to wait is not a failure, but the boot is 5 s (of guest time) slower than the seed's default.
export default defineScenario({
  description: 'PROMPT 1 + TIMEOUT 50: the boot: prompt waits 5 s, then the default boots; still passes',
  image: {
    name: 'hypersolid-cloud',
    overlay: { 'extlinux/extlinux.conf': 'PROMPT 1\nTIMEOUT 50\nDEFAULT ipxe\n  SAY booting iPXE from SYSLINUX\nLABEL ipxe\n  LINUX ipxe.lkrn\n' },
  },
  machine: { smbiosSerial: 'BC-PROMPT-0001', bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
  expect: { pass: 'chain' },
  ledger: [{ method: 'GET', path: '/boot.ipxe' }],
  console: ['booting iPXE from SYSLINUX'],
});
