import { join, resolve, dirname, isAbsolute } from 'node:path';
import { createHash } from 'node:crypto';
import { buildImage } from '../image/index.ts';
import { ensurePayload, type Payload } from '../image/payload.ts';
import { deployImage } from '../image/deploy.ts';
import { serveDirRoutes, startHttpStub, type RouteDef } from '../network/index.ts';
import { openPrivateNetwork, type VirtualHost } from '../network/private-network.ts';
import type { DnsQueryEntry } from '../network/dns-stub.ts';
import type { LoadedScenario } from './catalog.ts';
import type { ScenarioRoute, LedgerExpectation, ScenarioDefinition, ImageCorruption } from './define.ts';
import { runBootSession, type BootSessionOptions, type BootSessionResult } from './boot-session.ts';
import { prepareBootImage, rawImageFor } from './prepare-image.ts';
import { newArtifactsDir } from '../report/artifacts.ts';
import type { BootEvent, LedgerEntry } from '../events.ts';
import { STAGE_IDS, type CoreStageId, type StageResult } from '../stages/ladder.ts';
import type { StageDef } from '../stages/index.ts';
import { containsText } from '../stages/stage-evidence.ts';
import { imagesDirFor, workspace } from '../project/workspace.ts';

const isCore = (id: string): boolean => (STAGE_IDS as readonly string[]).includes(id);

export interface ScenarioOutcome {
  name: string;
  ok: boolean;
  /** Each expectation that did not hold, in words. */
  problems: string[];
  result: BootSessionResult;
  image: string;
  notes: string[];
}

export interface RunScenarioOptions {
  artifactsRoot?: string;
  distDir?: string;
  onEvent?: (e: BootEvent) => void;
  onStage?: (r: Readonly<StageResult>) => void;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  realtime?: boolean;
  /** Override the scenario's network (default: the scenario's, else `private`). */
  network?: 'private' | 'user';
  /** Override the guest's memory (MiB). */
  memoryMiB?: number;
  /** Override the time-warp shift (-icount shift=N) the scenario runs with. */
  icountShift?: number;
  /** An attached console (`bootchain debug`): serial bytes out, the machine, how long to keep it after the verdict. */
  session?: Pick<BootSessionOptions, 'onSerial' | 'onMachine' | 'holdUntil' | 'onVerdict'>;
  /** QEMU arguments after the scenario's own (e.g. a gdb stub), and whether the guest clock runs (off: QEMU's own -S waits for gdb). */
  machineExtra?: { extraArgs?: string[]; guestClock?: boolean };
}

/** A port that stays the same for a scenario across runs (so its built image stays cached) when free. */
function preferredPort(name: string): number {
  const h = createHash('sha256').update(name).digest().readUInt16BE(0);
  return 20000 + (h % 10000);
}

/** The test OS, once ensured for a scenario that serves it (one build even when scenarios run in parallel). */
let payload: Payload | null = null;
let payloadBuild: Promise<Payload> | null = null;

/** Builds of one image run one at a time in this process (parallel scenarios share the cached result). */
const buildLocks = new Map<string, Promise<unknown>>();
function withBuildLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const prev = buildLocks.get(name) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  buildLocks.set(name, run.catch(() => undefined));
  return run;
}

function toRouteDefs(routes: ScenarioRoute[] | undefined, file: string): RouteDef[] {
  return (routes ?? []).map((r) => {
    const def: RouteDef = { path: r.path };
    if (r.status !== undefined) def.status = r.status;
    if (r.body !== undefined) def.body = r.body;
    if (r.template !== undefined) def.template = r.template;
    if (r.contentType !== undefined) def.contentType = r.contentType;
    if (r.delayMs !== undefined) def.delayMs = r.delayMs;
    if (r.file !== undefined) def.file = isAbsolute(r.file) ? r.file : resolve(dirname(file), r.file);
    if (r.headers !== undefined) def.headers = r.headers;
    if (r.redirect !== undefined) def.redirect = r.redirect;
    if (r.truncateTo !== undefined) def.truncateTo = r.truncateTo;
    if (r.stallAfterBytes !== undefined) def.stallAfterBytes = r.stallAfterBytes;
    if (r.trickleBytesPerSec !== undefined) def.trickleBytesPerSec = r.trickleBytesPerSec;
    if (r.payload !== undefined) {
      if (!payload) throw new Error('internal: payload routes need ensurePayload() first');
      def.file = r.payload === 'test-kernel' ? payload.kernel : payload.initramfs;
      def.contentType = 'application/octet-stream';
    }
    return def;
  });
}

/** Where a scenario's image definition is read and built: the project's folders when a config is in use. */
function dirsFor(name: string, example: boolean, distDir: string | undefined): { imagesDir?: string; distDir?: string } {
  const imagesDir = imagesDirFor(name, example);
  const dist = distDir ?? (workspace().config ? workspace().distDir : undefined);
  return { ...(imagesDir ? { imagesDir } : {}), ...(dist ? { distDir: dist } : {}) };
}

/** Runs one scenario end to end: build (cached), boot, track, then check every expectation. */
export async function runScenario(s: LoadedScenario, o: RunScenarioOptions = {}): Promise<ScenarioOutcome> {
  const def = s.def;
  const marker = `BOOTCHAIN-MARKER-${s.name}`;
  const t0 = Date.now();
  const allRoutes = [...(def.routes ?? []), ...Object.values(def.hosts ?? {}).flatMap((h) => (typeof h === 'object' && h.routes ? h.routes : []))];
  if (allRoutes.some((r) => r.payload)) payload ??= await (payloadBuild ??= ensurePayload(o.onLog));
  const network = o.network ?? def.network ?? 'private';
  // Private network: the stub is the guest's 10.0.2.2:80, started by the boot session inside the namespace.
  // User networking: a stub on a stable free port of 127.0.0.1, started here (its port is baked into the image).
  const stub = network === 'user' ? await startHttpStub({ routes: toRouteDefs(def.routes, s.file), startedAt: t0, marker, port: preferredPort(s.name) }) : null;
  // The private network opens while the image is built (cached) and mapped: off the boot's critical path.
  const early = network === 'private' ? openPrivateNetwork({ defaultRoutes: toRouteDefs(def.routes, s.file), hosts: scenarioHosts(def, s.file), startedAt: t0, marker, ...(o.signal ? { signal: o.signal } : {}) }) : null;
  early?.catch(() => undefined); // awaited by the boot session, which reports an early failure
  let handedOver = false;
  try {
    const stubUrl = stub ? stub.guestUrl('').replace(/\/$/, '') : 'http://10.0.2.2';
    let imagePath: string;
    let corrupt: ImageCorruption[] = [];
    let deployed: { gz: string; diskBytes: number } | null = null;
    if (typeof def.image === 'object' && 'file' in def.image) {
      // A prebuilt image, as it is: nothing is built or changed.
      imagePath = isAbsolute(def.image.file) ? def.image.file : resolve(s.example ? dirname(s.file) : (workspace().config?.root ?? dirname(s.file)), def.image.file);
    } else {
      const img = typeof def.image === 'string' ? { name: def.image } : def.image;
      const overlay: Record<string, string> = {};
      for (const [k, v] of Object.entries(img.overlay ?? {})) overlay[k] = v.replaceAll('{{stub}}', stubUrl).replaceAll('{{marker}}', marker);
      const hasOverlay = Object.keys(overlay).length > 0;
      const outName = hasOverlay ? `scenario-${s.name}` : img.name;
      const deploy = 'deploy' in img ? img.deploy : undefined;
      const built = await withBuildLock(outName, () =>
        buildImage({ name: img.name, overlay, gzip: deploy !== undefined, ...(hasOverlay ? { outName } : {}), ...dirsFor(img.name, s.example === true, o.distDir) }, o.onLog),
      );
      imagePath = built.imagePath;
      if (deploy) {
        if (!built.gzPath) throw new Error(`internal: no .img.gz for ${img.name}`);
        deployed = { gz: built.gzPath, diskBytes: deploy.diskGiB * 2 ** 30 };
      }
      corrupt = 'corrupt' in img ? (img.corrupt ?? []) : [];
    }
    const artifactsDir = await newArtifactsDir(o.artifactsRoot, s.name);
    // An image booted as it is: QEMU starts paused on it while it is mapped and linted. A damaged copy or a
    // deployed disk is made (and mapped) first.
    const inPlace = corrupt.length === 0 && !deployed;
    const bootImage = deployed ? await deployImage(deployed.gz, join(artifactsDir, 'deployed-disk.img'), deployed.diskBytes, o.onLog) : inPlace ? await rawImageFor(imagePath) : imagePath;
    const preparing = prepareBootImage(bootImage, { corrupt, workDir: artifactsDir });
    preparing.catch(() => undefined); // awaited by the session or below
    // What QEMU boots: the image itself, or the damaged copy prepare made.
    const image = inPlace ? bootImage : (await preparing).image;
    const lint = preparing.then((p) => p.lint);
    lint.catch(() => undefined);
    const serial = def.machine?.smbiosSerial ?? `BC-${s.name}`;
    // Checked once, by the session (it decides on a repro bundle with them), and reused for the outcome.
    let problems: string[] | null = null;
    const realtime = o.realtime === true || scenarioClock(def) === 'realtime';
    const runNotes = realtime && !o.realtime ? ['runs in real time: the scenario asks for it (clock: realtime)'] : [];
    handedOver = true;
    const result = await runBootSession({
      image,
      imageFacts: preparing.then((p) => ({ diskMap: p.map, scriptSource: p.scriptSource, promptWaitMs: p.promptWaitMs, notes: p.notes })),
      machine: {
        ...(def.machine?.accel ? { accel: def.machine.accel } : {}),
        ...(o.memoryMiB ?? def.machine?.memoryMiB ? { memoryMiB: o.memoryMiB ?? def.machine!.memoryMiB! } : {}),
        ...(def.machine?.diskBus ? { diskBus: def.machine.diskBus } : {}),
        ...(def.machine?.nicModel ? { nicModel: def.machine.nicModel } : {}),
        ...(def.machine?.machineType ? { machineType: def.machine.machineType } : {}),
        ...(def.machine?.extraArgs || o.machineExtra?.extraArgs ? { extraArgs: [...(def.machine?.extraArgs ?? []), ...(o.machineExtra?.extraArgs ?? [])] } : {}),
        ...(o.machineExtra?.guestClock !== undefined ? { guestClock: o.machineExtra.guestClock } : {}),
        ...(def.machine?.network ? { network: def.machine.network } : {}),
        smbiosSerial: serial,
        ...(realtime ? { icountShift: null } : o.icountShift !== undefined ? { icountShift: o.icountShift } : def.machine?.icountShift !== undefined ? { icountShift: def.machine.icountShift } : {}),
      },
      routes: toRouteDefs(def.routes, s.file),
      ...(stub ? { stub, network: { mode: 'user' as const } } : { network: { mode: 'private' as const, hosts: scenarioHosts(def, s.file), ...(early ? { opened: early } : {}) } }),
      meta: { image, scenario: s.name, notes: runNotes, lint },
      // Bundle only runs that did not go as the scenario expects (an expected failure needs no reproducer).
      reproBundle: (r) => {
        problems = checkExpectations(s, r, serial);
        return r.verdict === 'error' || problems.length > 0;
      },
      bootfile: def.machine?.bootfile ?? null,
      // A failure scenario runs to chain, or on to the stage it expects to fail at when that comes later.
      finalStage: 'pass' in def.expect ? def.expect.pass : !isCore(def.expect.failAt) || STAGE_IDS.indexOf(def.expect.failAt as CoreStageId) > STAGE_IDS.indexOf('chain') ? def.expect.failAt : 'chain',
      extraStages: scenarioStages(def),
      overallTimeoutMs: def.timeoutMs ?? 120_000,
      artifactsDir,
      marker,
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
      ...(o.onStage ? { onStage: o.onStage } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...o.session,
    });
    problems ??= checkExpectations(s, result, serial);
    const prepared = await preparing;
    return { name: s.name, ok: problems.length === 0, problems, result, image: prepared.image, notes: [...runNotes, ...prepared.notes] };
  } finally {
    await stub?.close();
    // Closed by the session once handed over; if the run failed before that, closed here.
    if (!handedOver) await early?.then((n) => n.close()).catch(() => undefined);
  }
}

/** The scenario's named hosts as the private network takes them. */
export function scenarioHosts(def: ScenarioDefinition, file: string): VirtualHost[] {
  return Object.entries(def.hosts ?? {}).map(([name, h]) => ({
    name,
    serve: h === 'down' || h === 'blackhole' ? h : { routes: h.dir !== undefined ? serveDirRoutes(isAbsolute(h.dir) ? h.dir : resolve(dirname(file), h.dir)) : toRouteDefs(h.routes, file) },
  }));
}

/** The clock a scenario runs on: time warp unless it asks for real time. */
export function scenarioClock(def: ScenarioDefinition): 'warp' | 'realtime' {
  return def.clock ?? 'warp';
}

const describeRequest = (e: LedgerEntry): string => `${e.method} ${e.host ? `${e.host}` : ''}${e.url} → ${e.status}`;
const describeExpected = (x: LedgerExpectation, serial: string): string =>
  `${x.method ?? 'any'} ${x.host ?? ''}${x.path ?? '/*'}${x.query ? ` with ${JSON.stringify(x.query).replaceAll('${serial}', serial)}` : ''}${x.status ? ` → ${x.status}` : ''}`;

/** Ledger and DNS expectations: presence, exact counts ("never asked" is count 0), and order when asked. */
export function checkLedger(def: ScenarioDefinition, ledger: LedgerEntry[], dns: DnsQueryEntry[], serial: string): string[] {
  const problems: string[] = [];
  const holds = ledger.map(describeRequest).join(', ') || 'nothing';
  let cursor = 0;
  for (const x of def.ledger ?? []) {
    const hits = ledger.filter((e) => ledgerMatches(e, x, serial));
    if (x.count !== undefined ? hits.length !== x.count : hits.length === 0) {
      problems.push(`ledger holds ${hits.length} × ${describeExpected(x, serial)}, expected ${x.count ?? 'at least 1'}; it holds: ${holds}`);
      continue;
    }
    if (def.ledgerInOrder && x.count !== 0) {
      const at = ledger.findIndex((e, i) => i >= cursor && ledgerMatches(e, x, serial));
      if (at < 0) problems.push(`ledger: ${describeExpected(x, serial)} did not come after the request expected before it; order: ${holds}`);
      else cursor = at + 1;
    }
  }
  for (const x of def.dns ?? []) {
    const hits = dns.filter((q) => q.name === x.name.toLowerCase() && (x.type === undefined || q.type === x.type) && (x.answered === undefined || (q.answer !== null) === x.answered));
    if (x.count !== undefined ? hits.length !== x.count : hits.length === 0) {
      problems.push(`DNS: ${hits.length} × ${x.type ?? 'any'} ${x.name}${x.answered === undefined ? '' : x.answered ? ' (answered)' : ' (NXDOMAIN)'}, expected ${x.count ?? 'at least 1'}; asked: ${dns.map((q) => `${q.type} ${q.name} → ${q.answer ?? q.rcode}`).join(', ') || 'nothing'}`);
    }
  }
  return problems;
}

function ledgerMatches(e: LedgerEntry, x: LedgerExpectation, serial: string): boolean {
  if (x.method && e.method !== x.method) return false;
  if (x.path !== undefined && e.path !== x.path) return false;
  if (x.host !== undefined && (e.host ?? '').toLowerCase() !== x.host.toLowerCase()) return false;
  if (x.status !== undefined && e.status !== x.status) return false;
  for (const [k, v] of Object.entries(x.query ?? {})) if (e.query[k] !== v.replaceAll('${serial}', serial)) return false;
  return true;
}

/** Every scenario expectation that failed, in words a CI log reader understands. */
export function checkExpectations(s: LoadedScenario, r: Pick<BootSessionResult, 'verdict' | 'stages' | 'failure' | 'ledger' | 'consoleText' | 'report'>, serial: string): string[] {
  const def = s.def;
  const problems: string[] = [];
  if ('pass' in def.expect) {
    if (r.verdict !== 'pass') problems.push(`expected every stage up to "${def.expect.pass}" to pass; verdict ${r.verdict}${r.verdict === 'error' ? ` (${r.report.endedBy})` : ''}${r.failure ? ` at ${r.failure.stage} [${r.failure.code}]: ${r.failure.message}` : ''}`);
  } else {
    const failed = r.stages.find((st) => st.status === 'failed');
    if (r.verdict !== 'fail') problems.push(`expected the boot to fail at "${def.expect.failAt}"; verdict ${r.verdict}${r.verdict === 'error' ? ` (${r.report.endedBy})` : ''}`);
    else if (failed?.id !== def.expect.failAt) problems.push(`expected failure at stage "${def.expect.failAt}", got "${failed?.id ?? 'none'}"`);
    if (def.expect.code && r.failure?.code !== def.expect.code) problems.push(`expected failure code ${def.expect.code}, got ${r.failure?.code ?? 'none'}`);
    const lintCode = def.expect.lint;
    if (lintCode && !r.report.lint.some((f) => f.code === lintCode && f.severity === 'error')) {
      problems.push(`expected lint to report ${lintCode} before the boot; it reported: ${r.report.lint.filter((f) => f.severity !== 'info').map((f) => f.code).join(', ') || 'no errors or warnings'}`);
    }
  }
  problems.push(...checkLedger(def, r.ledger, r.report.dns ?? [], serial));
  if (def.scriptSource) {
    const ev = r.stages.find((st) => st.id === 'script')?.evidence[0] ?? '';
    if (!ev.startsWith(`source: ${def.scriptSource}`)) problems.push(`expected iPXE to run its script from ${def.scriptSource}; the script stage says "${ev || 'nothing'}"`);
  }
  const skipped = r.stages.filter((st) => st.status === 'skipped').map((st) => st.id);
  const wantSkipped = def.skipped ?? [];
  if ((def.skipped !== undefined || 'pass' in def.expect) && skipped.join(',') !== wantSkipped.join(',')) problems.push(`expected skipped stages [${wantSkipped.join(', ')}], got [${skipped.join(', ')}]`);
  const implied = r.stages.filter((st) => st.status === 'implied').map((st) => st.id);
  if ('pass' in def.expect && implied.length) problems.push(`stages ${implied.join(', ')} passed only by implication (no evidence of their own)`);
  for (const text of def.console ?? []) if (!r.consoleText.includes(text)) problems.push(`console never showed "${text}"`);
  const lines = new Set(r.consoleText.split('\n'));
  for (const line of def.consoleLines ?? []) if (!lines.has(line)) problems.push(`console never showed the exact line ${JSON.stringify(line)}${nearest(r.consoleText, line)}`);
  return problems;
}


/** The console line most like `want` (sharing its first word), for the problem text. */
function nearest(text: string, want: string): string {
  const first = want.split(/\s+/)[0] ?? want;
  const near = text.split('\n').find((l) => l.includes(first));
  return near === undefined ? '' : `; closest: ${JSON.stringify(near)}`;
}

/** A scenario's own stages as the tracker takes them. */
export function scenarioStages(def: ScenarioDefinition): StageDef[] {
  return (def.stages ?? []).map((x) => ({
    id: x.id,
    ...(x.title ? { title: x.title } : {}),
    evidence: typeof x.console === 'string' ? containsText(x.console) : x.console,
    ...(x.noProgressMs ? { noProgressMs: x.noProgressMs } : {}),
    ...(x.after ? { after: x.after } : {}),
  }));
}
