import { parseArgs } from 'node:util';
import { rm } from 'node:fs/promises';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { resolve, basename } from 'node:path';
import { BootchainError } from '../errors.ts';
import { STAGE_IDS, type StageId, type StageResult } from '../stages/ladder.ts';
import { defaultChainRoutes, serveDirRoutes } from '../network/index.ts';
import { prepareBootImage, assertImageFile, rawImageFor } from '../scenario/prepare-image.ts';
import { runBootSession } from '../scenario/boot-session.ts';
import { newArtifactsDir } from '../report/artifacts.ts';
import { formatStageTable, formatStageRow } from '../stages/index.ts';
import { containsText } from '../stages/stage-evidence.ts';
import { withInterrupt } from './interrupt.ts';
import { formatLintFindings } from '../lint/index.ts';
import { BASELINE_FLAGS, applyBaseline, preflightBaseline } from './baseline-options.ts';
import type { CliIo } from './io.ts';
import { isValidHostName, openPrivateNetwork, type VirtualHost } from '../network/private-network.ts';

export async function runBoot(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      serve: { type: 'string' },
      bootfile: { type: 'string' },
      expect: { type: 'string', default: 'chain' },
      json: { type: 'boolean', default: false },
      serial: { type: 'string', default: 'BOOTCHAIN-0001' },
      accel: { type: 'string', default: 'tcg' },
      realtime: { type: 'boolean', default: false },
      'icount-shift': { type: 'string' },
      timeout: { type: 'string', default: '120' },
      artifacts: { type: 'string' },
      host: { type: 'string', multiple: true },
      until: { type: 'string' },
      memory: { type: 'string' },
      network: { type: 'string', default: 'private' },
      ...BASELINE_FLAGS,
    },
  });
  const input = positionals[0];
  if (!input || positionals.length > 1) throw new BootchainError('USAGE', 'boot takes exactly one IMAGE (a raw or .img.gz disk image)', 'e.g. npx bootchain boot dist/hypersolid-cloud.img --json');
  const until = values.until;
  if (until !== undefined && until.trim() === '') throw new BootchainError('USAGE', '--until needs the console text to wait for', "e.g. --until 'Select a language'");
  const expect = values.expect as StageId;
  if (!(STAGE_IDS as readonly string[]).includes(expect)) throw new BootchainError('USAGE', `--expect "${expect}" is not a stage`, `stages: ${STAGE_IDS.join(', ')}`);
  if (values.accel !== 'tcg' && values.accel !== 'kvm') throw new BootchainError('USAGE', `--accel must be tcg or kvm, got "${values.accel}"`, 'TCG is the default and the one that works on every host');
  const shiftArg = values['icount-shift'];
  const shift = shiftArg === undefined ? undefined : Number(shiftArg);
  if (shift !== undefined && (!Number.isInteger(shift) || shift < 0 || shift > 10)) throw new BootchainError('USAGE', `--icount-shift must be an integer 0..10, got "${shiftArg}"`, 'the default is 8; --realtime turns time warp off');
  if (shift !== undefined && values.realtime) throw new BootchainError('USAGE', '--icount-shift and --realtime exclude each other', 'pick one');
  const memoryMiB = parseMemory(values.memory);
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) throw new BootchainError('USAGE', `--timeout must be a positive number of seconds, got "${values.timeout}"`, 'e.g. --timeout 60');
  const marker = `BOOTCHAIN-MARKER-${Date.now().toString(36)}`;
  let routes = defaultChainRoutes(marker);
  let bootfile = values.bootfile ?? '/boot.ipxe';
  if (values.serve) {
    const dir = resolve(values.serve);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BootchainError('SERVE_DIR_MISSING', `--serve ${values.serve} is not a directory`, 'pass the folder holding the chained iPXE scripts');
    routes = serveDirRoutes(dir);
    if (!values.bootfile) {
      const files = readdirSync(dir);
      const first = files.includes('boot.ipxe') ? 'boot.ipxe' : files.find((f) => f.endsWith('.ipxe'));
      if (first) bootfile = `/${first}`;
    }
  }
  if (values.network !== 'private' && values.network !== 'user') throw new BootchainError('USAGE', `--network must be private or user, got "${values.network}"`, 'private (default): the boot gets its own network namespace; user: QEMU user networking, no isolation');
  const hosts = parseHostFlags(values.host ?? []);
  if (hosts.length && values.network === 'user') throw new BootchainError('USAGE', '--host needs the private network', 'drop --network user: hosts are served under their names only inside the boot\'s own network');
  // Bad input must leave nothing behind: check the image before any artifacts folder exists.
  assertImageFile(input);
  await preflightBaseline(values);
  const artifactsDir = values.artifacts ? resolve(values.artifacts) : await newArtifactsDir(undefined, basename(input));
  return withInterrupt(io, async (signal) => {
    // The private network (a namespace and its holder process) opens while the image is mapped and linted.
    const early = values.network === 'user' ? null : openPrivateNetwork({ defaultRoutes: routes, hosts, startedAt: Date.now(), marker, signal });
    early?.catch(() => undefined); // awaited by the boot session; an early failure is reported there
    const closeEarly = async (e: unknown): Promise<never> => {
      await early?.then((n) => n.close()).catch(() => undefined);
      // Bad input leaves nothing behind: drop the folder made for this run.
      if (!values.artifacts) await rm(artifactsDir, { recursive: true, force: true });
      throw e;
    };
    // The raw image (a .img.gz decompressed once into the cache); QEMU starts paused on it while it is mapped and linted.
    const image = await rawImageFor(input).catch(closeEarly);
    const prepared = prepareBootImage(image, { workDir: artifactsDir });
    const lint = prepared.then((p) => p.lint);
    // Awaited by the session (or below); a rejection is thrown from there, never left unhandled.
    for (const p of [prepared, lint]) p.catch(() => undefined);
    const facts = prepared.then((p) => {
      if (!values.json) {
        io.err(`booting ${input} (expect: ${expect})${p.map ? '' : ' — no disk map, console evidence only'}`);
        for (const n of p.notes) io.err(`  note: ${n}`);
      }
      return { diskMap: p.map, scriptSource: p.scriptSource, promptWaitMs: p.promptWaitMs, notes: p.notes };
    });
    const r = await runBootSession({
      image,
      imageFacts: facts,
      // Time warp (-icount) is the default under TCG; --realtime runs the guest on the host's clock.
      machine: { accel: values.accel as 'tcg' | 'kvm', smbiosSerial: values.serial!, ...(memoryMiB ? { memoryMiB } : {}), ...(values.realtime ? { icountShift: null } : shift !== undefined ? { icountShift: shift } : {}) },
      routes,
      bootfile,
      network: values.network === 'user' ? { mode: 'user' } : { mode: 'private', hosts, ...(early ? { opened: early } : {}) },
      // --until TEXT: a stage after the built-in ones that passes when TEXT shows on the console.
      finalStage: until !== undefined ? 'until' : expect,
      // What comes before TEXT (a kernel and a large initrd downloading, an installer starting) can be silent
      // for long: the stage waits up to the run's timeout rather than the usual no-progress limit.
      ...(until !== undefined ? { extraStages: [{ id: 'until', title: `console shows "${until}"`, evidence: containsText(until), noProgressMs: timeoutS * 1000 }] } : {}),
      overallTimeoutMs: timeoutS * 1000,
      artifactsDir,
      marker,
      meta: { image: resolve(input), scenario: null, notes: [], lint },
      ...(values.json ? {} : { onStage: (st: Readonly<StageResult>) => io.err(`  ${formatStageRow(st)}  ${st.evidence[0] ?? ''}`) }),
      signal,
    }).catch(async (e: unknown) => {
      // A failure to read the image is bad input: nothing left behind. Anything else keeps its artifacts.
      if (await prepared.then(() => false, () => true)) await closeEarly(e);
      throw e;
    });
    const report = r.report;
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(formatStageTable(r.stages, r.failure));
      const l = await lint;
      if (l.findings.length) io.out(formatLintFindings({ image: input, findings: l.findings, ms: l.ms }));
      io.out(`verdict: ${r.verdict.toUpperCase()} (${r.endedBy}) in ${(r.wallMs / 1000).toFixed(2)} s — artifacts: ${artifactsDir}`);
    }
    const withinBaseline = r.verdict === 'pass' ? await applyBaseline(values, report, r.icountShift, io) : true;
    return r.verdict === 'pass' ? (withinBaseline ? 0 : 1) : r.verdict === 'fail' ? 1 : 2;
  });
}

/** `--host NAME=DIR` (serve DIR as NAME on port 80), `--host NAME=down`, `--host NAME=blackhole`. */
export function parseHostFlags(flags: string[]): VirtualHost[] {
  const hosts: VirtualHost[] = [];
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0 || eq === f.length - 1) throw new BootchainError('USAGE', `--host ${f}: expected NAME=DIR, NAME=down or NAME=blackhole`, 'e.g. --host ipxe1.example.org=./configs');
    const name = f.slice(0, eq);
    const what = f.slice(eq + 1);
    if (!isValidHostName(name)) throw new BootchainError('USAGE', `--host ${f}: "${name}" is not a valid DNS host name`, 'use letters, digits, "-" and dots, e.g. ipxe1.example.org');
    if (hosts.some((h) => h.name.toLowerCase() === name.toLowerCase())) throw new BootchainError('USAGE', `--host ${name} is given twice`, 'give each host once');
    if (what === 'down' || what === 'blackhole') {
      hosts.push({ name, serve: what });
      continue;
    }
    const dir = resolve(what);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BootchainError('USAGE', `--host ${f}: ${what} is not a directory`, 'pass the folder holding the files that host serves, or down / blackhole');
    hosts.push({ name, serve: { routes: serveDirRoutes(dir) } });
  }
  return hosts;
}

/** `--memory MiB`: the guest's memory (an installer needs far more than the default 256 MiB). */
export function parseMemory(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 16 || n > 65536) throw new BootchainError('USAGE', `--memory must be a whole number of MiB between 16 and 65536, got "${v}"`, 'e.g. --memory 1024');
  return n;
}
