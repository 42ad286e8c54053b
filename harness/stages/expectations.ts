import type { ReadRole } from './disk-regions.ts';
import { findFact, isRead, type Fact } from './facts.ts';
import type { StageId } from './ladder.ts';

const EXPECT: Record<string, string> = {
  bios: 'the SeaBIOS banner "SeaBIOS (version …)"',
  mbr: 'a read of LBA 0 after "Booting from Hard Disk...", then the MBR code\'s own read (the GPT header on a GPT disk, the active partition\'s boot sector on an MBR disk)',
  gpt: 'reads of the GPT entries, then of the boot partition\'s first sector (VBR)',
  vbr: 'a read of the first sector of ldlinux.sys',
  'ldlinux-sys': 'the rest of ldlinux.sys read and the complete "SYSLINUX x.yy … Copyright" banner',
  'ldlinux-c32': 'ldlinux.c32 read, then output or reads by it (the config file)',
  config: 'a SAY line, "Loading <kernel>..." or a read of the kernel file',
  ipxe: '"Loading <kernel>... ok", then iPXE\'s "iPXE initialising devices..." / banner',
  script: 'the first output after iPXE\'s "Features:" line (script) or "Press Ctrl-B…" (autoboot)',
  network: '"Configuring (net0 …)… ok"',
  chain: 'a 2xx request in the stub ledger and iPXE\'s "<url>... ok" line',
  kernel: 'a bzImage fetched (ledger) and the kernel\'s own output ("Probing EDD", "Linux version …")',
  init: 'a console line printed by userspace (not a kernel log line)',
};

/** Chains of reads whose last missing link names where a silent stage hung. */
const READ_CHAINS: Record<string, [ReadRole, ReadRole][]> = {
  mbr: [['mbr', 'gpt-header']],
  gpt: [['gpt-header', 'gpt-entries'], ['gpt-entries', 'vbr']],
  vbr: [['vbr', 'ldlinux-sys-first']],
  'ldlinux-sys': [['ldlinux-sys-first', 'ldlinux-sys-rest']],
  'ldlinux-c32': [['ldlinux-sys-rest', 'ldlinux-c32']],
};

const ROLE_TEXT: Record<ReadRole, string> = {
  mbr: 'the MBR (LBA 0)',
  'gpt-header': 'the GPT header (LBA 1)',
  'gpt-entries': 'the GPT entries',
  vbr: 'the boot partition\'s first sector (VBR)',
  'ldlinux-sys-first': 'ldlinux.sys (first sector)',
  'ldlinux-sys-rest': 'the rest of ldlinux.sys',
  'ldlinux-c32': 'ldlinux.c32',
  'config-file': 'the config file',
  payload: 'the kernel file',
};

/** What a stage's evidence should have been. */
export function expectedFor(stage: StageId, customText?: string): string {
  return customText ?? EXPECT[stage] ?? 'its console evidence';
}

/** Why a stage did not pass, in disk-read terms when that tells where the code hung. */
export function missingFor(stage: StageId, facts: readonly Fact[], fromT: number, hasMap: boolean): string {
  if (hasMap) {
    for (const [before, after] of READ_CHAINS[stage] ?? []) {
      const b = findLast(facts, fromT, before);
      if (b >= 0 && findFact(facts, b, isRead(after)) < 0) {
        return `no disk read of ${ROLE_TEXT[after]} after the read of ${ROLE_TEXT[before]} at ${facts[b]!.atMs} ms`;
      }
    }
  }
  return `missing: ${expectedFor(stage)}`;
}

/** The last read of `role` on the timeline at or after `fromT` (the read that passed the previous stage sits at fromT), else the last before. */
function findLast(facts: readonly Fact[], fromT: number, role: ReadRole): number {
  let before = -1;
  for (let i = facts.length - 1; i >= 0; i--) {
    if (!isRead(role)(facts[i]!)) continue;
    if (facts[i]!.t >= fromT) return i;
    if (before < 0) before = i;
  }
  return before;
}

/** A cause sharper than "no progress" for a stage that went silent, read from what the boot did show. */
export function sharperHang(stage: StageId, facts: readonly Fact[], passed: (id: StageId) => boolean): { code: string; hint: string; why: string } | null {
  // The kernel ran (its real-mode setup printed through the BIOS) but its own messages never reached ttyS0.
  if (stage === 'init' && passed('kernel') && !facts.some((f) => f.kind === 'line' && /Linux version \d/.test(f.text))) {
    return {
      code: 'NO_SERIAL_CONSOLE',
      hint: "the kernel's command line lacks console=ttyS0 (or has quiet and an init that prints nothing): add console=ttyS0 to the `kernel` line of the chained config",
      why: 'the kernel ran (Probing EDD) but none of its messages reached the serial console',
    };
  }
  return null;
}
