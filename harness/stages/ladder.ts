/** The stage ladder: fixed ids, in boot order. Other tools and dashboards key on these ids. */
export const STAGE_IDS = [
  'bios',
  'mbr',
  'gpt',
  'vbr',
  'ldlinux-sys',
  'ldlinux-c32',
  'config',
  'ipxe',
  'script',
  'network',
  'chain',
  'kernel',
  'init',
] as const;

export type CoreStageId = (typeof STAGE_IDS)[number];
/** Scenarios may add later stages (e.g. "kernel", "init"); the core ids stay stable. */
export type StageId = CoreStageId | (string & {});

export const STAGE_TITLES: Record<CoreStageId, string> = {
  bios: 'SeaBIOS POST and boot from disk',
  mbr: 'MBR boot code (gptmbr.bin) ran',
  gpt: 'GPT entries read, bootable partition chosen',
  vbr: 'partition boot sector ran',
  'ldlinux-sys': 'ldlinux.sys loaded and ran',
  'ldlinux-c32': 'ldlinux.c32 loaded and ran',
  config: 'configuration found and parsed',
  ipxe: 'kernel (iPXE) loaded and started',
  script: 'iPXE boot logic started',
  network: 'iPXE configured the network',
  chain: 'chained config fetched from the stub',
  kernel: 'the OS kernel was fetched and ran',
  init: 'userspace started (the initramfs\'s init)',
};

/**
 * passed: the stage's own evidence was seen. implied: no evidence of its own (no source on this image, or
 * none seen) but a later stage's evidence shows it must have run. skipped: the detected chain has no such
 * stage (e.g. `gpt` on an MBR disk). failed / not-reached: as named.
 */
export type StageStatus = 'passed' | 'implied' | 'skipped' | 'failed' | 'not-reached';

export interface StageResult {
  id: StageId;
  status: StageStatus;
  /** Wall ms since machine start when it passed (or failed). */
  atMs: number | null;
  /** Guest-clock ms, when known. */
  guestMs: number | null;
  evidence: string[];
}

export interface FailureInfo {
  stage: StageId;
  /** Stable code from the failure catalog (e.g. "GPTMBR_MISSING_OS", "STAGE_TIMEOUT"). */
  code: string;
  message: string;
  hint: string;
  /** When the failure's evidence appeared (its message, or the last progress before a hang), ms since start. */
  seenAtMs?: number;
}

export type Verdict = 'pass' | 'fail' | 'error';
