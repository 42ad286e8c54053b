import { defineScenario } from '../harness/define.ts';

// ldlinux.sys damaged after its first sector: the boot sector loads it, the checksum fails.
export default defineScenario({
  description: 'ldlinux.sys corrupted after its first sector → SYSLINUX "Load error"',
  image: { name: 'hypersolid-cloud', corrupt: [{ region: 'file', path: '/extlinux/ldlinux.sys', offset: 2048, length: 8192, fill: 0xa5 }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'ldlinux-sys', code: 'SYSLINUX_LOAD_ERROR', lint: 'LINT_LDLINUX_SYS_CHECKSUM' },
  tags: ['negative'],
});
