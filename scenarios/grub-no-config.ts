import { defineScenario } from '../harness/define.ts';

// GRUB without /boot/grub/grub.cfg: core.img loads normal.mod, prints its banner and waits at `grub> `
// (no line break, no error message).
export default defineScenario({
  description: 'GRUB 2 with grub.cfg deleted → GRUB waits at its `grub> ` prompt',
  image: { name: 'hypersolid-grub-bios', corrupt: [{ region: 'delete-file', path: '/boot/grub/grub.cfg' }] },
  machine: { bootfile: '/boot.ipxe' },
  expect: { failAt: 'grub-normal', code: 'GRUB_PROMPT' },
  console: ['GRUB loading'],
  timeoutMs: 60_000,
  skipped: ['gpt', 'vbr'],
  tags: ['negative'],
});
