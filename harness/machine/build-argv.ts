import type { MachinePaths, ResolvedMachineOptions } from './types.ts';

/** QemuOpts values escape a comma by doubling it. */
export function escapeOptValue(v: string): string {
  return v.replaceAll(',', ',,');
}

function diskArgs(o: ResolvedMachineOptions): string[] {
  // snapshot=on: writes land in a temp qcow2 QEMU creates under $TMPDIR (= our temp dir).
  const drive = ['-drive', `file=${escapeOptValue(o.image)},format=raw,if=none,id=disk0,snapshot=on`];
  switch (o.diskBus) {
    case 'virtio':
      return [...drive, '-device', 'virtio-blk-pci,drive=disk0,bootindex=1'];
    case 'ide':
      return [...drive, '-device', 'ide-hd,drive=disk0,bus=ide.0,unit=0,bootindex=1'];
    case 'ahci':
      return [...drive, '-device', 'ahci,id=ahci0', '-device', 'ide-hd,drive=disk0,bus=ahci0.0,bootindex=1'];
    case 'virtio-scsi':
      return [...drive, '-device', 'virtio-scsi-pci,id=scsi0', '-device', 'scsi-hd,drive=disk0,bus=scsi0.0,bootindex=1'];
    case 'nvme':
      return [...drive, '-device', 'nvme,drive=disk0,serial=bootchain0,bootindex=1'];
  }
}

function netArgs(o: ResolvedMachineOptions): string[] {
  // isolated: a hub port with no other member, so the guest's DHCP goes unanswered.
  const netdev = o.network === 'isolated' ? ['hubport', 'id=net0', 'hubid=0'] : ['user', 'id=net0'];
  if (o.bootfileUrl !== undefined && o.network === 'user') netdev.push(`bootfile=${escapeOptValue(o.bootfileUrl)}`);
  // romfile= (empty): the NIC's own iPXE option ROM must not masquerade as the disk's iPXE.
  return ['-netdev', netdev.join(','), '-device', `${o.nicModel},netdev=net0,romfile=`];
}

function accelArgs(o: ResolvedMachineOptions): string[] {
  if (o.accel === 'kvm') return ['-accel', 'kvm'];
  const a = ['-accel', 'tcg'];
  if (o.icountShift !== null) a.push('-icount', `shift=${o.icountShift},sleep=off`);
  return a;
}

/**
 * QEMU's seccomp filter (mode 2, installed before it opens anything the guest controls) and, when the harness
 * is root, the drop: chroot into the machine's temp dir and become the unprivileged user once the disk,
 * sockets and firmware are open, before the guest runs. `elevateprivileges=deny` would forbid that drop
 * itself (QEMU then prints nothing and never starts), so it is denied only when there is no drop to make.
 */
export function confineArgs(o: Pick<ResolvedMachineOptions, 'confine'>, paths: Pick<MachinePaths, 'dir'>): string[] {
  const deny = ['obsolete=deny', ...(o.confine ? [] : ['elevateprivileges=deny']), 'spawn=deny', 'resourcecontrol=deny'];
  const a = ['-sandbox', ['on', ...deny].join(',')];
  if (o.confine) a.push('-chroot', paths.dir, '-runas', `${o.confine.uid}:${o.confine.gid}`);
  return a;
}

/** Where QEMU itself sees a file of the machine's temp dir (after the chroot, the dir is its `/`). */
export function qemuViewOf(o: Pick<ResolvedMachineOptions, 'confine'>, paths: Pick<MachinePaths, 'dir'>, name: string): string {
  return o.confine ? `/${name}` : `${paths.dir}/${name}`;
}

/**
 * The exact QEMU command line (argv[0] = binary, without any wrapper). Serial goes to stdout,
 * trace + messages to stderr (both live pipes), QMP to a unix socket in the machine's temp dir.
 */
export function buildQemuArgv(o: ResolvedMachineOptions, paths: MachinePaths): string[] {
  const argv = [
    o.qemuBinary,
    '-nodefaults',
    '-no-user-config',
    // graphics=off turns on SeaBIOS sercon (BIOS text on serial); -vga std keeps a screen for screendump.
    '-machine', `${o.machineType},graphics=off`,
    '-vga', 'std',
    '-display', 'none',
    ...accelArgs(o),
    '-m', String(o.memoryMiB),
    // "No bootable device" must end QEMU instead of retrying forever.
    '-no-reboot',
    // With the guest clock on, QEMU starts paused: the harness anchors guest time 0 at its `cont`.
    ...(o.guestClock ? ['-S'] : []),
    '-boot', 'strict=on,reboot-timeout=0',
    ...diskArgs(o),
    ...netArgs(o),
  ];
  if (o.rtcBaseSec !== null) argv.push('-rtc', `base=${rtcBaseArg(o.rtcBaseSec)},clock=vm`);
  if (o.smbiosSerial !== undefined) argv.push('-smbios', `type=1,serial=${escapeOptValue(o.smbiosSerial)}`);
  argv.push(
    '-serial', 'stdio',
    '-monitor', 'none',
    '-qmp', `unix:${escapeOptValue(paths.qmpSocket)},server=on,wait=off`,
    '-msg', 'timestamp=on',
    '-trace', 'enable=blk_co_preadv',
    // Every byte the guest writes to the UART, with QEMU's own timestamp: console lines get the time the
    // guest printed them (not when the pipe reached us), on the same clock as the disk reads.
    '-trace', 'enable=serial_write',
    ...confineArgs(o, paths),
    ...o.extraArgs,
  );
  return argv;
}

/** Epoch seconds → QEMU's `-rtc base=` form (UTC, no zone suffix): 2025-01-31T12:00:00. */
export function rtcBaseArg(epochSec: number): string {
  return new Date(epochSec * 1000).toISOString().slice(0, 19);
}
