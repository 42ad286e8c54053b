import { defineScenario } from '../harness/define.ts';

// LINUX names a file that is not in /extlinux: the config parses, the kernel cannot be loaded.
export default defineScenario({
  description: 'LINUX names a missing file → "Loading ipxe-missing.lkrn... failed: No such file or directory"',
  image: { name: 'hypersolid-cloud', overlay: { 'extlinux/extlinux.conf': 'DEFAULT ipxe\n  SAY booting iPXE from SYSLINUX\nLABEL ipxe\n  LINUX ipxe-missing.lkrn\n' } },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'ipxe', code: 'KERNEL_NOT_FOUND', lint: 'LINT_CONFIG_MISSING_FILE' },
  tags: ['negative'],
});
