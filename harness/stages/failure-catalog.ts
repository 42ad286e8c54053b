import type { CoreStageId, StageId } from './ladder.ts';
import { decodeIpxeError, type DecodedIpxeError } from './ipxe-errors.ts';

/**
 * Every failure message the boot chain's parts are known to print (exact texts measured with
 * SeaBIOS 1.16.2, SYSLINUX 6.04 and iPXE 2019-01), with the stage whose code prints it.
 * Matchers run on one logical console line (ANSI-free, echo removed, 80-column wraps joined).
 */
export interface FailureDef {
  code: string;
  /** Ladder stage that failed (a chain's own id such as grub-normal too); for `fallThrough` entries only the default. */
  stage: StageId;
  pattern: RegExp;
  cause: string;
  hint: string;
  /** Only meaningful as an unfinished line waiting for input (prompt). */
  prompt?: boolean;
  /** SeaBIOS gave up on the disk; says nothing about which stage printed last. */
  fallThrough?: boolean;
  /** QEMU/host trouble, not the guest's: the verdict is 'error'. */
  infra?: boolean;
  /**
   * A sharper cause and hint when the disk reads show the message came from a later stage than `stage`
   * (e.g. "Missing OS" after the partition's first sector WAS read: that sector has no boot code).
   */
  atStage?: Partial<Record<CoreStageId, { cause: string; hint: string }>>;
}

export interface FailureMatch {
  code: string;
  stage: StageId;
  /** The console text that matched. */
  message: string;
  cause: string;
  hint: string;
  prompt: boolean;
  fallThrough: boolean;
  infra: boolean;
  ipxe?: DecodedIpxeError;
  atStage?: FailureDef['atStage'];
}

const CHANGE_DISKS = 'rerun `extlinux --install` on the mounted boot partition so ldlinux.sys and its ldlinux.c32 match';

export const FAILURE_CATALOG: readonly FailureDef[] = [
  { code: 'KVM_INTERNAL_ERROR', stage: 'bios', infra: true, pattern: /KVM internal error|failed to set MSR/, cause: 'QEMU\'s KVM accelerator failed (emulation failure); not the image\'s fault', hint: 'run with TCG (-accel tcg); KVM is broken on this host' },
  { code: 'SEABIOS_NOT_BOOTABLE', stage: 'mbr', pattern: /Boot failed: not a bootable disk/, cause: 'LBA 0 does not end in the 55AA boot signature, so SeaBIOS will not run it', hint: 'write gptmbr.bin into the first 440 bytes (dd bs=440 count=1 conv=notrunc) and keep the protective MBR\'s 55AA' },
  { code: 'GPTMBR_MULTIPLE_ACTIVE', stage: 'gpt', pattern: /Multiple active partitions/, cause: 'more than one GPT partition has attribute bit 2 (legacy BIOS bootable)', hint: 'set the bit on the boot partition only: sgdisk --attributes=N:clear:2 for the others' },
  { code: 'GPTMBR_MISSING_OS', stage: 'gpt', pattern: /^Missing OS/, cause: 'gptmbr.bin found no partition with attribute bit 2, or that partition\'s first sector lacks 55AA (no VBR installed)', hint: 'sgdisk --attributes=1:set:2 on the boot partition and run `extlinux --install` on it',
    atStage: { vbr: { cause: "gptmbr.bin read the bootable partition's first sector, but it has no 55AA signature: no SYSLINUX boot sector is installed there (or it was overwritten)", hint: 'mount the boot partition and run `extlinux --install DIR` on it (it writes the boot sector); check that nothing else writes to the partition\'s first sector' } } },
  { code: 'MBR_MISSING_OS', stage: 'mbr', pattern: /^Missing operating system\./, cause: 'SYSLINUX mbr.bin found no active partition in the MBR table, or the active partition\'s first sector lacks 55AA (no boot sector installed)', hint: 'mark the boot partition active (sfdisk --activate IMG 1) and install its boot sector (extlinux --install / syslinux --install)',
    atStage: { vbr: { cause: "mbr.bin read the active partition's first sector, but it has no 55AA signature: no boot sector is installed there (or it was overwritten)", hint: 'reinstall the boot sector: `extlinux --install DIR` on the mounted ext partition, or `syslinux --offset BYTES --install IMG` for FAT' } } },
  { code: 'MBR_MULTIPLE_ACTIVE', stage: 'mbr', pattern: /^Multiple active partitions\./, cause: 'SYSLINUX mbr.bin found more than one active partition in the MBR table', hint: 'keep the active flag on the SYSLINUX partition only (sfdisk --activate IMG N marks one; check with fdisk -l)' },
  { code: 'MBR_LOAD_ERROR', stage: 'mbr', pattern: /^Operating system load error\./, cause: 'SYSLINUX mbr.bin could not read the active partition\'s first sector through the BIOS', hint: 'check that the active partition lies inside the disk (fdisk -l) and the disk is readable' },
  { code: 'GRUB_PROMPT', stage: 'grub-normal', prompt: true, pattern: /^grub>\s*$/, cause: 'GRUB started but had nothing to boot: no grub.cfg (or one without a bootable entry), so it waits at its command line', hint: 'install /boot/grub/grub.cfg (the prefix core.img was built with) with a default entry: linux16 /boot/ipxe.lkrn, boot' },
  { code: 'GRUB_ERROR', stage: 'grub-normal', pattern: /^error: (.*)/, cause: 'GRUB reported an error (a file or module it could not load, a bad command in grub.cfg)', hint: 'read the error: a missing file names the path GRUB looked for; check the prefix and grub.cfg' },
  { code: 'GPTMBR_DISK_ERROR', stage: 'gpt', pattern: /^Disk error/, cause: 'gptmbr.bin could not read the GPT or the boot partition through the BIOS', hint: 'check the partition table (sgdisk -v) and that the boot partition lies inside the disk' },
  { code: 'SYSLINUX_LOAD_ERROR', stage: 'ldlinux-sys', pattern: /Load error - Boot error/, cause: 'ldlinux.sys was read but its checksum is wrong (file moved or modified after installation)', hint: CHANGE_DISKS },
  { code: 'SYSLINUX_BOOT_ERROR', stage: 'vbr', pattern: /^Boot error/, cause: 'the partition boot sector could not load ldlinux.sys (wrong LBA patched in, or file moved)', hint: CHANGE_DISKS },
  { code: 'LDLINUX_C32_MISSING', stage: 'ldlinux-c32', pattern: /Failed to load ldlinux\.c32|Boot failed: please change disks/, cause: 'ldlinux.sys could not find or load ldlinux.c32 next to it (missing, or from a different SYSLINUX build)', hint: 'keep the ldlinux.c32 that `extlinux --install` writes, in the same directory as ldlinux.sys' },
  { code: 'CONFIG_NOT_FOUND', stage: 'config', pattern: /No configuration file found/, cause: 'no extlinux.conf/syslinux.cfg in the searched directories', hint: 'put extlinux.conf in the directory where extlinux was installed (e.g. /extlinux/extlinux.conf)' },
  { code: 'CONFIG_NO_DEFAULT', stage: 'config', pattern: /No DEFAULT or UI configuration directive found/, cause: 'the config has no DEFAULT (or UI) line', hint: 'add `DEFAULT <label>` naming a LABEL in extlinux.conf' },
  { code: 'KERNEL_NOT_FOUND', stage: 'ipxe', pattern: /^Loading (\S+?)\s*\.\.\.\s*failed: No such file or directory|Could not find kernel image: /, cause: 'a file named by LINUX/KERNEL/INITRD is not in the config\'s directory', hint: 'copy the file next to extlinux.conf or fix its name in the config (names are relative to the config\'s directory)' },
  { code: 'KERNEL_LOAD_FAILED', stage: 'ipxe', pattern: /^Loading (\S+?)\s*\.\.\.\s*failed/, cause: 'SYSLINUX could not load a file named in the config', hint: 'check the file in the boot partition (size, name, permissions)' },
  { code: 'KERNEL_NOT_BZIMAGE', stage: 'ipxe', pattern: /Booting kernel failed: Invalid argument|Invalid image type for this media type/, cause: 'the LINUX file is not a bzImage (ipxe.lkrn must be the .lkrn build)', hint: 'use iPXE\'s ipxe.lkrn (make bin/ipxe.lkrn), not .pxe/.efi/.iso' },
  { code: 'KERNEL_BOOT_FAILED', stage: 'ipxe', pattern: /Booting kernel failed/, cause: 'SYSLINUX could not start the kernel', hint: 'check the kernel file and the APPEND line' },
  { code: 'IPXE_COMMAND_NOT_FOUND', stage: 'script', pattern: /^(\S+): command not found/, cause: 'the iPXE script uses a command this iPXE build does not have', hint: 'Debian\'s ipxe.lkrn lacks ping/poweroff/console/nslookup: drop the command or bring your own build (ipxe/ipxe.lkrn)' },
  { code: 'IPXE_NOTHING_TO_BOOT', stage: 'script', pattern: /Nothing to boot/, cause: 'iPXE autobooted but DHCP gave it no filename, and there is no script', hint: 'embed a script, pass one as INITRD (starting with #!ipxe) or APPEND, or set a DHCP bootfile' },
  { code: 'IPXE_ERROR', stage: 'script', pattern: /\(https?:\/\/ipxe\.org\/([0-9a-f]{8})\)|Error 0x([0-9a-f]{8})/i, cause: 'iPXE reported an error', hint: 'see the decoded error class; http://ipxe.org/<code> explains the code' },
  { code: 'BOOT_PROMPT', stage: 'config', prompt: true, pattern: /^boot:\s*$/, cause: 'SYSLINUX gave up on the configured entry and waits at its boot: prompt', hint: 'the line before it says why; check DEFAULT/LABEL/LINUX in extlinux.conf' },
  { code: 'IPXE_SHELL', stage: 'script', prompt: true, pattern: /^iPXE>\s*$/, cause: 'iPXE opened its command line (a `shell` command, or Ctrl-B)', hint: 'remove `shell` from the script, or add the boot commands it should have run' },
  { code: 'KERNEL_PANIC_NO_ROOT', stage: 'init', pattern: /Kernel panic - not syncing: VFS: Unable to mount root fs/, cause: 'the kernel found no root file system: no initramfs reached it (or it could not be unpacked) and no root= device exists', hint: 'check the chained config has `initrd URL` before `boot` and that the URL serves a gzip/cpio initramfs (the ledger shows its size)' },
  { code: 'INITRD_UNPACK_FAILED', stage: 'init', pattern: /Initramfs unpacking failed/, cause: 'the kernel could not unpack the initramfs: it is not a cpio archive (or is corrupt), or the guest has too little memory for it', hint: 'serve a valid cpio (newc) initramfs, gzip-compressed; raise machine.memoryMiB for a large one' },
  { code: 'INIT_NOT_FOUND', stage: 'init', pattern: /No working init found|Failed to execute \/init/, cause: 'the initramfs has no runnable /init', hint: 'put an executable /init (with its interpreter, e.g. #!/bin/busybox sh) in the initramfs, or pass init=' },
  { code: 'KERNEL_PANIC', stage: 'init', pattern: /Kernel panic - not syncing/, cause: 'the kernel panicked', hint: 'read the panic message and the lines before it in the console tail' },
  { code: 'NO_BOOTABLE_DEVICE', stage: 'bios', fallThrough: true, pattern: /^No bootable device/, cause: 'SeaBIOS tried every boot device and none booted', hint: 'the stage table shows the last stage that ran; look at the console lines before the fall-through' },
  { code: 'FELL_THROUGH_TO_NEXT_DEVICE', stage: 'bios', fallThrough: true, pattern: /^Booting from (Floppy|DVD\/CD|CD-Rom|ROM|Network)|^Boot failed: could not read the boot disk|^Boot failed: Could not read from CDROM/, cause: 'the boot chain gave up (int 18h) and SeaBIOS moved on to the next boot device', hint: 'the stage table shows the last stage that ran; iPXE also returns here when its last script ends without booting' },
];

/** Matches one console line (or wrap-joined logical line) against the catalog; first hit wins. */
export function matchFailure(text: string, opts: { partial?: boolean } = {}): FailureMatch | null {
  for (const def of FAILURE_CATALOG) {
    if (def.prompt && opts.partial === false) continue;
    const m = def.pattern.exec(text);
    if (!m) continue;
    const base: FailureMatch = {
      code: def.code,
      stage: def.stage,
      message: text.trim(),
      cause: def.cause,
      hint: def.hint,
      ...(def.atStage ? { atStage: def.atStage } : {}),
      prompt: def.prompt ?? false,
      fallThrough: def.fallThrough ?? false,
      infra: def.infra ?? false,
    };
    if (def.code === 'IPXE_ERROR') return withIpxeCode(base, m[1] ?? m[2] ?? '');
    return base;
  }
  return null;
}

function withIpxeCode(base: FailureMatch, hex: string): FailureMatch {
  const d = decodeIpxeError(hex);
  if (!d) return base;
  const r: FailureMatch = { ...base, ipxe: d, cause: `iPXE error ${d.hex}: ${d.errnoName} (${d.errnoText})` };
  if (d.known) {
    r.code = d.known.code;
    r.stage = d.known.stage;
    r.cause = `iPXE error ${d.hex}: ${d.known.meaning} (${d.errnoName})`;
    r.hint = d.known.hint;
  } else if (d.errnoName === 'ENOENT') {
    r.stage = 'chain';
  }
  return r;
}

/**
 * A chained download that iPXE fetched "ok" but cannot run as a script: an HTML page, or text without the
 * `#!ipxe` line. iPXE then runs the bytes as a PXE boot program, which hangs (or prints garbage): the stub
 * sees what it served, so the failure is named at `chain` instead of a timeout later.
 */
export function notAScriptFailure(e: { bodyKind?: string; url: string; status: number; bytes: number; headers?: Record<string, string>; host?: string }): FailureMatch | null {
  if (e.status < 200 || e.status > 299 || (e.bodyKind !== 'html' && e.bodyKind !== 'text')) return null;
  const what = e.bodyKind === 'html' ? 'an HTML page' : 'text without a `#!ipxe` first line';
  return {
    code: 'CHAIN_NOT_A_SCRIPT',
    stage: 'chain',
    message: `${e.host ?? ''}${e.url} answered ${e.status} with ${what} (${e.bytes} bytes)`,
    cause: `the server answered ${what} where iPXE expected a script: iPXE runs it as a PXE boot program, which hangs`,
    hint: e.bodyKind === 'html' ? 'the server (or a proxy/portal in front of it) sent an error page with status 200: serve the iPXE script, and errors with a 4xx/5xx status' : 'start the chained script with the line #!ipxe',
    prompt: false,
    fallThrough: false,
    infra: false,
  };
}
