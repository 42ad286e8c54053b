import { defineScenario } from '../harness/define.ts';

// extlinux.conf has a LABEL but no DEFAULT (or UI): SYSLINUX stops at its boot: prompt.
export default defineScenario({
  description: 'extlinux.conf without DEFAULT → "No DEFAULT or UI configuration directive found!"',
  image: { name: 'hypersolid-cloud', overlay: { 'extlinux/extlinux.conf': 'LABEL ipxe\n  LINUX ipxe.lkrn\n' } },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'config', code: 'CONFIG_NO_DEFAULT', lint: 'LINT_CONFIG_NO_DEFAULT' },
  tags: ['negative'],
});
