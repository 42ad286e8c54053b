import { defineScenario } from '../harness/define.ts';

// The console is kept exactly as printed: the chained script echoes repeated words, letters and markers
// (what the SYSLINUX SERIAL de-duplicator once collapsed), and the run waits for that output after `chain`.
export default defineScenario({
  description: 'console text after chain is kept byte for byte (repeated words, letters and markers)',
  image: 'hypersolid-cloud',
  machine: { smbiosSerial: 'BC-EXACT-0001', bootfile: '/boot.ipxe' },
  routes: [{ path: '/boot.ipxe', template: '#!ipxe\necho boot boot MARK-1 MARK-1 aabbccdd\necho abab\n', contentType: 'text/plain' }],
  stages: [{ id: 'echoed', title: 'the chained script printed its line', console: 'MARK-1 MARK-1' }],
  expect: { pass: 'echoed' },
  consoleLines: ['boot boot MARK-1 MARK-1 aabbccdd'],
  ledger: [{ method: 'GET', path: '/boot.ipxe' }],
});
