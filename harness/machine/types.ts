import type { BootEvent } from '../events.ts';
import type { QemuUser } from './qemu-user.ts';

export type Accel = 'tcg' | 'kvm';
export type DiskBus = 'virtio' | 'ide' | 'ahci' | 'virtio-scsi' | 'nvme';
export type NicModel = 'virtio-net-pci' | 'e1000' | 'e1000e' | 'rtl8139';
export type NetworkMode = 'user' | 'isolated';

/** How to run one QEMU guest. Typed data: scenarios and matrices build these. */
export interface MachineOptions {
  /** Raw disk image. Never modified: writes go to a throw-away overlay. */
  image: string;
  accel?: Accel;
  /** null = real time; N = `-icount shift=N,sleep=off` (TCG only). Default with tcg: DEFAULT_ICOUNT_SHIFT (warp). */
  icountShift?: number | null;
  /** Sample the guest's clock over QMP while it runs (`machine.guestClock`). Default true. */
  guestClock?: boolean;
  memoryMiB?: number;
  diskBus?: DiskBus;
  nicModel?: NicModel;
  /** `user`: QEMU user networking (slirp: DHCP, the host's loopback as 10.0.2.2). `isolated`: a NIC on a hub
   *  where nothing answers (DHCP never replies). */
  network?: NetworkMode;
  /** SMBIOS type 1 serial number (iPXE's `${serial}`). */
  smbiosSerial?: string;
  /** Filename slirp's DHCP hands out (iPXE autoboots it when it has no script). */
  bootfileUrl?: string;
  machineType?: string;
  qemuBinary?: string;
  extraArgs?: string[];
  /** Parent of the per-machine temp dir (default os.tmpdir()). */
  tmpRoot?: string;
  /** Epoch ms that event times are relative to (default: when start() is called). */
  startedAt?: number;
  /** Argv prefix QEMU runs under (e.g. a network-namespace wrapper). */
  wrapper?: string[];
  /**
   * The resolv.conf QEMU's user networking reads (lazily, on the guest's first DNS query) to find where to
   * forward DNS: the private network's. Default: the host's /etc/resolv.conf. A chrooted QEMU gets a copy.
   */
  resolvConf?: string;
  /**
   * The unprivileged user QEMU runs as when the harness is root (a name from /etc/passwd or "uid:gid"; default
   * $BOOTCHAIN_QEMU_USER, else `nobody`). QEMU opens its disk, sockets and firmware as root, then chroots into
   * its temp dir and drops to this user before the guest runs.
   */
  runAs?: string;
  /** The guest starts (`cont`) only once this resolves (e.g. the private network's stubs serve); a rejection ends the start. */
  startGate?: Promise<unknown>;
}

export type ResolvedMachineOptions = Required<
  Omit<MachineOptions, 'smbiosSerial' | 'bootfileUrl' | 'startedAt' | 'wrapper' | 'startGate' | 'runAs' | 'resolvConf'>
> &
  Pick<MachineOptions, 'smbiosSerial' | 'bootfileUrl' | 'startGate' | 'resolvConf'> & {
    startedAt: number;
    wrapper: string[];
    /** Epoch seconds the guest RTC starts from (`-rtc base=…,clock=vm`); null when extraArgs set their own -rtc. */
    rtcBaseSec: number | null;
    /** Whom QEMU drops to (`-runas` + `-chroot` its temp dir); null when the harness is not root (QEMU then runs as the harness's user). */
    confine: QemuUser | null;
  };

export interface MachineHooks {
  /** Raw serial bytes as QEMU delivers them; atMs since machine start. */
  onSerial(chunk: Buffer, atMs: number): void;
  /** disk-read and exit events. */
  onEvent(e: BootEvent): void;
}

/** Files the machine owns inside its temp dir. */
export interface MachinePaths {
  dir: string;
  qmpSocket: string;
}
