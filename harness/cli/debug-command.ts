import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BootchainError } from '../errors.ts';
import type { Machine } from '../machine/index.ts';
import { loadScenario, type LoadedScenario } from '../scenario/catalog.ts';
import type { ScenarioDefinition, ScenarioHost } from '../scenario/define.ts';
import { runScenario } from '../scenario/run-scenario.ts';
import { LEFT_CONSOLE } from '../scenario/boot-session.ts';
import { formatStageRow, formatStageTable } from '../stages/index.ts';
import { ALL_STAGE_TITLES } from '../stages/chains.ts';
import { STAGE_IDS, type StageResult } from '../stages/ladder.ts';
import { parseHostFlags } from './boot-command.ts';
import { withInterrupt } from './interrupt.ts';
import { GdbForward } from './gdb-forward.ts';
import type { CliIo } from './io.ts';

/** Ctrl-] (GS), the byte telnet, virsh and QEMU's own console leave on. */
const LEAVE = 0x1d;
const DEFAULT_GDB_PORT = 1234;
/** How long a status line waits for the guest to end its line before it goes out anyway. */
const STATUS_WAIT_MS = 300;

/** `--gdb` takes an optional port: `--gdb`, `--gdb 4321` or `--gdb=4321`. */
function splitGdb(args: string[]): { rest: string[]; gdb: number | null } {
  const rest: string[] = [];
  let gdb: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const inline = /^--gdb=(.*)$/.exec(a);
    if (a !== '--gdb' && !inline) {
      rest.push(a);
      continue;
    }
    const v = inline ? inline[1]! : /^\d+$/.test(args[i + 1] ?? '') ? args[++i]! : String(DEFAULT_GDB_PORT);
    const port = Number(v);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BootchainError('USAGE', `--gdb ${v}: not a TCP port`, `e.g. --gdb ${DEFAULT_GDB_PORT}`);
    gdb = port;
  }
  return { rest, gdb };
}

/** An image file as a one-off scenario: the default chain route, `--host` names, `--expect` as the target. */
function imageScenario(image: string, expect: string, hosts: Record<string, ScenarioHost>): LoadedScenario {
  const def: ScenarioDefinition = {
    description: `debug ${image}`,
    image: { file: resolve(image) },
    machine: { bootfile: '/boot.ipxe' },
    routes: [{ path: '/*', template: '#!ipxe\necho ${marker}\n', contentType: 'text/plain' }],
    hosts,
    expect: { pass: expect as 'chain' },
  };
  return { name: basename(image).replace(/[^\w.-]+/g, '_'), file: resolve(image), def };
}

/**
 * `bootchain debug IMAGE|SCENARIO`: the same boot as `boot`/`run`, with the guest's serial console on this
 * terminal (raw mode: keys go to the guest), the ladder and ledger as status lines on stderr, an optional gdb
 * stub, `--pause-at STAGE`, and Ctrl-] to leave; everything is closed and the artifacts written as for `boot`.
 */
export async function runDebug(args: string[], io: CliIo): Promise<number> {
  const { rest, gdb } = splitGdb(args);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      'gdb-wait': { type: 'boolean', default: false },
      'pause-at': { type: 'string' },
      expect: { type: 'string' },
      host: { type: 'string', multiple: true },
    },
  });
  const target = positionals[0];
  if (!target || positionals.length > 1) throw new BootchainError('USAGE', 'debug takes exactly one IMAGE (raw or .img.gz) or SCENARIO name', 'e.g. npx bootchain debug dist/boot.img.gz, or npx bootchain debug example');
  if (values['gdb-wait'] && gdb === null) throw new BootchainError('USAGE', '--gdb-wait needs --gdb [PORT]', `e.g. --gdb ${DEFAULT_GDB_PORT} --gdb-wait`);
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stdout.isTTY) throw new BootchainError('DEBUG_NO_TTY', `debug needs a terminal: ${!stdin.isTTY ? 'standard input' : 'standard output'} is not a TTY`, 'run it in a terminal (not in a pipe or CI); for a boot without a console use `npx bootchain boot IMAGE` or `npx bootchain run --scenario NAME`');
  const isImage = existsSync(target) && statSync(target).isFile();
  const hosts = Object.fromEntries(parseHostFlags(values.host ?? []).map((h) => [h.name, typeof h.serve === 'string' ? h.serve : { dir: (h.serve.routes[0] as { dir: string }).dir }])) as Record<string, ScenarioHost>;
  if (!isImage && values.host?.length) throw new BootchainError('USAGE', '--host goes with an IMAGE; a scenario names its own hosts', 'drop --host, or edit the scenario\'s `hosts`');
  const s = isImage ? imageScenario(target, values.expect ?? 'chain', hosts) : await loadScenario(target);
  if (!isImage && values.expect) throw new BootchainError('USAGE', '--expect goes with an IMAGE; a scenario has its own `expect`', 'drop --expect');
  const stageIds = [...new Set([...STAGE_IDS, ...Object.keys(ALL_STAGE_TITLES), ...(s.def.stages ?? []).map((x) => x.id)])];
  const expectStage = 'pass' in s.def.expect ? s.def.expect.pass : s.def.expect.failAt;
  if (!stageIds.includes(expectStage)) throw new BootchainError('USAGE', `--expect "${expectStage}" is not a stage`, `stages: ${stageIds.join(', ')}`);
  const pauseAt = values['pause-at'];
  if (pauseAt !== undefined && !stageIds.includes(pauseAt)) throw new BootchainError('USAGE', `--pause-at "${pauseAt}" is not a stage`, `stages: ${stageIds.join(', ')}`);
  // Listening on the port is the check that it is free: a port in use is exit 2 before anything starts.
  const forward = gdb !== null ? await GdbForward.open(gdb) : null;

  // Status lines go between the guest's lines, not into them: while the guest is mid-line they wait for its
  // line end, or for a moment of silence (a prompt such as `boot: ` never ends its line).
  let midLine = false;
  let queued: string[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    if (!queued.length) return;
    process.stderr.write(`${midLine ? '\r\n' : ''}${queued.map((l) => `\x1b[2m[bootchain]\x1b[0m ${l}\r\n`).join('')}`);
    queued = [];
    midLine = false;
  };
  const status = (line: string): void => {
    queued.push(line.replaceAll('\n', '\r\n'));
    if (!midLine) flush();
    else flushTimer ??= setTimeout(flush, STATUS_WAIT_MS);
  };
  const onSerial = (chunk: Buffer): void => {
    process.stdout.write(chunk);
    const last = chunk[chunk.length - 1];
    // Only a line feed ends a line: a lone carriage return (progress output) leaves the cursor on the guest's line.
    midLine = last !== 0x0a;
    if (!midLine && queued.length) flush();
  };
  let machine: Machine | null = null;
  let leave!: () => void;
  const left = new Promise<void>((r) => (leave = r));
  const onKey = (d: Buffer): void => {
    const at = d.indexOf(LEAVE);
    if (at >= 0) {
      if (at > 0) machine?.sendSerial(d.subarray(0, at));
      leave();
      return;
    }
    machine?.sendSerial(d);
  };
  status(`debug ${s.name}: the guest's serial console is on this terminal; type to it, Ctrl-] leaves`);
  if (gdb !== null) status(`gdb stub on 127.0.0.1:${gdb}${values['gdb-wait'] ? ' — the guest waits at its first instruction until gdb continues' : ''}; attach with:\n  gdb -ex 'target remote 127.0.0.1:${gdb}'`);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.on('data', onKey);
  try {
    return await withInterrupt(io, async (signal) => {
      const o = await runScenario(s, {
        signal,
        // A person at the console needs the guest's timers in real time (iPXE's Ctrl-B window, SYSLINUX's TIMEOUT).
        realtime: true,
        // The gdb stub; with --gdb-wait QEMU's own -S holds the first instruction until gdb continues (no guest clock then: it would `cont`).
        ...(forward ? { machineExtra: { extraArgs: [...forward.qemuArgs(), ...(values['gdb-wait'] ? ['-S'] : [])], ...(values['gdb-wait'] ? { guestClock: false } : {}) } } : {}),
        session: {
          onSerial,
          onMachine: (m) => {
            machine = m;
            status(`QEMU is running${values['gdb-wait'] ? ` — paused at the first instruction: attach gdb and continue (gdb -ex 'target remote 127.0.0.1:${gdb}' -ex continue)` : ''}`);
          },
          holdUntil: left,
          onVerdict: (v) => status(`the ladder is done: ${v.verdict.toUpperCase()}${v.failure ? ` at ${v.failure.stage} [${v.failure.code}]: ${v.failure.message}` : ''} — the guest keeps running; Ctrl-] leaves`),
        },
        onLog: (l) => status(l),
        onEvent: (e) => {
          if (e.kind === 'request') status(`ledger: ${e.entry.method} ${e.entry.host ?? ''}${e.entry.url} → ${e.entry.status}`);
        },
        onStage: (st: Readonly<StageResult>) => {
          status(`${formatStageRow(st)}  ${st.evidence[0] ?? ''}`);
          if (st.id === pauseAt && st.status === 'passed') {
            void machine?.pause().then((ok) => status(ok ? `guest paused after stage ${pauseAt} (QMP stop)${gdb !== null ? '; gdb can inspect it' : ''}; Ctrl-] leaves` : `could not pause the guest after ${pauseAt}: QEMU has gone`));
          }
        },
      });
      const r = o.result;
      flush();
      if (midLine) process.stderr.write('\r\n');
      midLine = false;
      status(`verdict: ${r.verdict.toUpperCase()} (${r.endedBy})${o.problems.length ? `; ${o.problems.join('; ')}` : ''}`);
      process.stderr.write(formatStageTable(r.stages, r.failure).replaceAll('\n', '\r\n') + '\r\n');
      status(`artifacts: ${r.artifactsDir}`);
      // Leaving before the verdict is no pass (1), but no error of the host or QEMU either.
      return o.ok ? 0 : r.verdict === 'error' && r.endedBy !== LEFT_CONSOLE ? 2 : 1;
    });
  } finally {
    flush();
    await forward?.close();
    stdin.off('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  }
}
