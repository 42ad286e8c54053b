import type { StageId } from '../stages/ladder.ts';

/** A stub route, as scenarios write it (mirrors the HTTP stub's RouteDef). */
export interface ScenarioRoute {
  /** Exact path, or a prefix ending in `*`. */
  path: string;
  status?: number;
  body?: string;
  /** A file relative to the scenario file's folder, or absolute. */
  file?: string;
  /** Body with `${stub}`, `${query.NAME}`, `${marker}` filled in per request. */
  template?: string;
  contentType?: string;
  /** Wait this long (guest time) before the headers. */
  delayMs?: number;
  /** Extra response headers (e.g. `{ 'www-authenticate': 'Basic realm="boot"' }` with status 401). */
  headers?: Record<string, string>;
  /** Answer a redirect (status default 302) to this URL or stub path. */
  redirect?: string;
  /** Send only this many body bytes, then close (fewer than the Content-Length). */
  truncateTo?: number;
  /** Send this many body bytes, then stall until the client gives up. */
  stallAfterBytes?: number;
  /** Send the body this slowly. */
  trickleBytesPerSec?: number;
  /** Serve bootchain's own test OS (built once from Debian's packages, cached): its kernel or its initramfs. */
  payload?: 'test-kernel' | 'test-initramfs';
}

/** A named host of the scenario's private network: its routes, a served directory, or a fault. */
export type ScenarioHost = { routes: ScenarioRoute[]; dir?: never } | { dir: string; routes?: never } | 'down' | 'blackhole';

/** A request the stub's ledger must hold after the run. Values may use `${serial}` (the SMBIOS serial). */
export interface LedgerExpectation {
  method?: string;
  /** Request path without the query (any path when absent). */
  path?: string;
  /** The host asked (a `hosts` name, or 10.0.2.2 for the default stub). */
  host?: string;
  query?: Record<string, string>;
  status?: number;
  /** Exactly this many matching requests (0: never asked). Default: at least one. */
  count?: number;
}

/** A DNS question the guest must (or must not) have asked in its private network. */
export interface DnsExpectation {
  name: string;
  type?: string;
  /** true: answered with an address; false: NXDOMAIN / no record. */
  answered?: boolean;
  count?: number;
}

export interface ScenarioMachine {
  smbiosSerial?: string;
  memoryMiB?: number;
  diskBus?: 'virtio' | 'ide' | 'ahci' | 'virtio-scsi' | 'nvme';
  nicModel?: 'virtio-net-pci' | 'e1000' | 'e1000e' | 'rtl8139';
  /** QEMU machine type: `pc` (i440FX, default) or `q35`. */
  machineType?: 'pc' | 'q35';
  accel?: 'tcg' | 'kvm';
  /** Time-warp shift for this scenario (-icount shift=N; default 8, measured fastest for the firmware chain). */
  icountShift?: number;
  /** `user` (QEMU user networking, the default) or `isolated` (a NIC on which nothing answers). */
  network?: 'user' | 'isolated';
  /** Path on the stub handed to iPXE as the DHCP filename (for images whose iPXE has no script). */
  bootfile?: string;
  extraArgs?: string[];
}

/** Which image a scenario boots. */
export type ScenarioImage =
  | string
  /** A prebuilt image file, booted as it is (raw or .img.gz): absolute, or relative to the project (the folder of bootchain.config.ts; without a config, to the scenario file). */
  | { file: string }
  | {
      /** An image definition under images/. */
      name: string;
      /**
       * Files to add or replace, keyed by their path in the image definition (e.g. "extlinux/extlinux.conf").
       * Text may use `{{stub}}` (the stub's URL as the guest sees it) and `{{marker}}`.
       */
      overlay?: Record<string, string>;
      /** Damage done to the built image, for failure scenarios (applied to a copy). */
      corrupt?: ImageCorruption[];
      /**
       * Deploy the built image the seed's way before booting: `gzip -d -c image.img.gz | dd` onto a sparse disk
       * of this size, then `sgdisk -G`; the result is verified (sgdisk's own verify text, the backup GPT at
       * the end of the disk, new GUIDs) and that disk is booted.
       */
      deploy?: { diskGiB: number };
    };

/** Byte-level damage applied to a copy of a built image, by region of its disk map. */
export type ImageCorruption =
  | { region: 'mbr-code' | 'mbr-signature' | 'vbr' | 'vbr-signature'; fill?: number }
  | { region: 'file'; path: string; fill?: number; offset?: number; length?: number }
  | { region: 'delete-file'; path: string }
  | { region: 'gpt-attribute'; partition: number; legacyBootable: boolean }
  /** MBR disks: clear the active flag (0x80) of every partition entry, or of `partition` (1–4) only. */
  | { region: 'mbr-active'; partition?: number };

/**
 * The hardware a scenario is checked on: each value of each axis at least once. By default a covering set
 * (as many cells as the longest axis, cell i taking value i of each axis, cycling), `cross: true` for every
 * combination. Each cell is its own test with its own verdict and artifacts, named `scenario[axis=value,…]`.
 */
export interface ScenarioMatrix {
  diskBus?: NonNullable<ScenarioMachine['diskBus']>[];
  nic?: NonNullable<ScenarioMachine['nicModel']>[];
  machine?: NonNullable<ScenarioMachine['machineType']>[];
  memoryMiB?: number[];
  cross?: boolean;
  /** Cells that cannot work, with the stage they fail at and why: a pass there is reported as a surprise. */
  expectFail?: Array<{ when: Partial<Record<'diskBus' | 'nic' | 'machine' | 'memoryMiB', string | number>>; failAt: string; code?: string; why: string }>;
}

/** A stage of a scenario's own, proved by a console line. */
export interface ScenarioStage {
  id: string;
  title?: string;
  /** The built-in stage it follows: `chain` (default), `kernel` or `init`. Stages of your own keep their order. */
  after?: 'chain' | 'kernel' | 'init';
  console: string | RegExp;
  /** No-progress limit for this stage (guest ms; default 30 000). */
  noProgressMs?: number;
}

export type ScenarioExpectation =
  | { pass: StageId }
  | {
      failAt: StageId;
      /** Failure-catalog code the boot must fail with. */
      code?: string;
      /** Lint code `bootchain lint` must report as an error before the boot (for statically detectable faults). */
      lint?: string;
    };

export interface ScenarioDefinition {
  description: string;
  image: ScenarioImage;
  machine?: ScenarioMachine;
  routes?: ScenarioRoute[];
  expect: ScenarioExpectation;
  /**
   * Host names the guest can reach in its private network (port 80, resolved by the DNS stub); every other
   * name is NXDOMAIN and every other address refused. `{{stub}}` / routes stay at 10.0.2.2.
   */
  hosts?: Record<string, ScenarioHost>;
  /** Run this scenario on several virtual machines (disk bus, NIC, machine type, memory). */
  matrix?: ScenarioMatrix;
  /** `private` (default): the boot's own network namespace. `user`: QEMU user networking, no isolation. */
  network?: 'private' | 'user';
  /** Requests the ledger must hold (or, with `count`, how often). */
  ledger?: LedgerExpectation[];
  /** The `ledger` expectations must be met in this order. */
  ledgerInOrder?: boolean;
  /** DNS questions the guest must have asked. */
  dns?: DnsExpectation[];
  /** Which script source iPXE must have run (the `script` stage's evidence says which). */
  scriptSource?: 'embedded' | 'command line' | 'initrd' | 'autoboot';
  /** Stages the image's chain does not have: they must be reported `skipped` (and nothing else may be). */
  skipped?: string[];
  /** Text that must appear on the console. */
  console?: string[];
  /** Lines the console must show exactly, byte for byte (whole lines, after escape codes and wraps). */
  consoleLines?: string[];
  /**
   * Stages of your own after the built-in ladder, in order: each passes when a console line contains
   * `console` (text) or matches it (a RegExp). `expect.pass` may name one, so the run waits for output
   * printed after `chain`.
   */
  stages?: ScenarioStage[];
  /**
   * Which clock the guest runs on. `warp` (default): QEMU's -icount, idle time skipped. `realtime`: the
   * host's clock. Stub delays (`routes[].delayMs`) count guest time in both, so they mean the same.
   */
  clock?: 'warp' | 'realtime';
  /** Overall timeout in ms (guest boots are seconds; default 120 000). */
  timeoutMs?: number;
  /** Tags for selection (e.g. "negative"). */
  tags?: string[];
}

/** Identity function that gives scenario files their types; validation happens at load. */
export function defineScenario(def: ScenarioDefinition): ScenarioDefinition {
  return def;
}
