import os from 'node:os';
import { BootchainError } from '../errors.ts';
import { qemuUserFor } from './qemu-user.ts';
import type { MachineOptions, ResolvedMachineOptions } from './types.ts';

export const DISK_BUSES = ['virtio', 'ide', 'ahci', 'virtio-scsi', 'nvme'] as const;
export const NIC_MODELS = ['virtio-net-pci', 'e1000', 'e1000e', 'rtl8139'] as const;
export const MACHINE_TYPES = ['pc', 'q35'] as const;
const ACCELS = ['tcg', 'kvm'] as const;

/**
 * Warp by default: `-icount shift=N,sleep=off` skips idle guest time. Chosen by measurement (see
 * test/warp/README numbers in the time-warp report): fastest wall time to the chained script.
 */
export const DEFAULT_ICOUNT_SHIFT = 8;

function invalid(field: string, expected: string, got: unknown): BootchainError {
  return new BootchainError(
    'MACHINE_OPTION_INVALID',
    `Machine option \`${field}\`: expected ${expected}, got \`${JSON.stringify(got)}\``,
    `fix \`${field}\` in the scenario or on the command line`,
  );
}

/** Applies defaults and validates eagerly, with messages that name the field. */
export function resolveMachineOptions(o: MachineOptions, now = Date.now()): ResolvedMachineOptions {
  if (typeof o.image !== 'string' || o.image === '') throw invalid('image', 'a path to a raw disk image', o.image);
  const accel = o.accel ?? 'tcg';
  if (!ACCELS.includes(accel)) throw invalid('accel', `one of ${ACCELS.join(', ')}`, accel);
  // undefined = the default (warp with tcg, real time with kvm); null = real time explicitly.
  const icountShift = o.icountShift === undefined ? (accel === 'tcg' ? DEFAULT_ICOUNT_SHIFT : null) : o.icountShift;
  if (icountShift !== null) {
    if (!Number.isInteger(icountShift) || icountShift < 0 || icountShift > 10)
      throw invalid('icountShift', 'null or an integer 0..10', icountShift);
    if (accel !== 'tcg')
      throw new BootchainError(
        'MACHINE_OPTION_INVALID',
        `Machine option \`icountShift\` (${icountShift}) needs accel tcg, got \`${accel}\``,
        'drop icountShift or use --accel tcg: -icount only works with TCG',
      );
  }
  const memoryMiB = o.memoryMiB ?? 256;
  if (!Number.isInteger(memoryMiB) || memoryMiB < 16) throw invalid('memoryMiB', 'an integer >= 16', memoryMiB);
  const diskBus = o.diskBus ?? 'virtio';
  if (!DISK_BUSES.includes(diskBus)) throw invalid('diskBus', `one of ${DISK_BUSES.join(', ')}`, diskBus);
  const nicModel = o.nicModel ?? 'virtio-net-pci';
  if (!NIC_MODELS.includes(nicModel)) throw invalid('nicModel', `one of ${NIC_MODELS.join(', ')}`, nicModel);
  const network = o.network ?? 'user';
  if (network !== 'user' && network !== 'isolated') throw invalid('network', 'user or isolated', network);
  const extraArgs = o.extraArgs ?? [];
  if (!Array.isArray(extraArgs) || extraArgs.some((a) => typeof a !== 'string'))
    throw invalid('extraArgs', 'an array of strings', extraArgs);
  if (o.runAs !== undefined && (typeof o.runAs !== 'string' || o.runAs === '')) throw invalid('runAs', 'a user name or "uid:gid"', o.runAs);
  const guestClock = o.guestClock ?? true;
  if (typeof guestClock !== 'boolean') throw invalid('guestClock', 'true or false', guestClock);
  const r: ResolvedMachineOptions = {
    image: o.image,
    accel,
    icountShift,
    memoryMiB,
    diskBus,
    nicModel,
    network,
    machineType: o.machineType ?? 'pc',
    qemuBinary: o.qemuBinary ?? 'qemu-system-x86_64',
    extraArgs,
    tmpRoot: o.tmpRoot ?? os.tmpdir(),
    startedAt: o.startedAt ?? now,
    wrapper: o.wrapper ?? [],
    guestClock,
    // The guest RTC follows the virtual clock (coherent with its other clocks in warp mode) from the
    // host's date at start (certificates stay valid); the guest clock reads it back relative to this.
    rtcBaseSec: extraArgs.includes('-rtc') ? null : Math.floor(now / 1000),
    confine: qemuUserFor(o.runAs),
  };
  if (o.smbiosSerial !== undefined) r.smbiosSerial = o.smbiosSerial;
  if (o.bootfileUrl !== undefined) r.bootfileUrl = o.bootfileUrl;
  if (o.startGate !== undefined) r.startGate = o.startGate;
  if (o.resolvConf !== undefined) r.resolvConf = o.resolvConf;
  return r;
}
