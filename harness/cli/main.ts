import { formatError } from '../errors.ts';
import { processIo, type CliIo } from './io.ts';
import { sweepLeftovers, sweepTempFiles } from '../leftovers.ts';
import { findConfigFile, loadConfig } from '../project/config.ts';
import { useConfig, workspace } from '../project/workspace.ts';
import { join } from 'node:path';

const USAGE = `usage: bootchain <command> [options]

commands:
  build [NAME]            build images/NAME (default hypersolid-cloud) into dist/ and self-check it
  boot IMAGE              boot any raw or .img.gz image through the stage ladder
        [--serve DIR] [--bootfile PATH] [--expect STAGE] [--json] [--serial S] [--realtime | --icount-shift N]
        [--accel tcg|kvm] [--timeout SEC] [--artifacts DIR] [--memory MiB]
        [--host NAME=DIR|down|blackhole]... [--network private|user] [--until TEXT]
        [--write-baseline FILE] [--baseline FILE] [--tolerance-ms N] [--tolerance-pct N]
  run [--scenario NAME] [--tag TAG] [--jobs N] [--shard I/N] [--durations FILE] [--write-durations FILE]
      [--memory MiB] [--realtime] [--json | --tap] [--junit FILE] [--html FILE] [--write-baseline DIR] [--baseline DIR]
                          run scenarios with a live stage table (all when no name)
  start                   build the default image and boot it through every stage
  init                    scaffold bootchain.config.ts, an example scenario and a CI workflow in this project
  test [--scenario NAME]... [--reporter tap|junit] [--reporter-file FILE] [--jobs N] [--tag TAG]
                          your scenarios as tests: TAP (default) or JUnit XML on stdout (or --reporter-file)
  debug IMAGE|SCENARIO    the boot with the serial console on this terminal (Ctrl-] leaves)
        [--gdb [PORT]] [--gdb-wait] [--pause-at STAGE] [--expect STAGE] [--host NAME=DIR|down|blackhole]...
  lint IMAGE [--json]     check an image statically (MBR, GPT, VBR, ldlinux, config, iPXE script) without booting
  repro BUNDLE            rerun a failed boot from its reproducer bundle (artifacts/<run>/repro or repro.tar.gz)
  bench [--only build|boot|entry|network|os|jobs|scenarios] [--runs N]
                          speed figures as ratios against baselines measured in the same run
  merge-reports FILE|DIR... [--junit FILE] [--json FILE] [--html FILE] [--artifacts-under DIR]...
                          merge the run --json summaries of CI shards into one summary, one JUnit file and
                          one HTML index (each run's report found where it is, or under --artifacts-under)
  fuzz [--seed N] [--cases N] [--jobs N] [--boot-timeout S] [--image IMG] [--json FILE] [--only I,J] [--keep] [--from FILE.jsonl]
                          mutate the image's boot-critical bytes (seeded) and lint + boot each case: no crash, hang or unproven pass
  flake [--scenario NAME]... [--runs N] [--jobs N] [--no-hog | --hog-only] [--json FILE]
                          run each scenario N times (and N more beside a CPU hog): same verdict, stage and code every time
  doctor [--fix]          check every host requirement (a real namespace and KVM probe) and print the fix for each gap
                          (--fix, as root: apt-get install what is missing)
  list [--examples]       list the scenarios (--examples: bootchain's own, runnable as bootchain:NAME)

In a project with bootchain.config.ts (found from the current folder upwards), scenarios come from its
\`scenarios\` folder and images from its \`images\` folder; bootchain's own scenarios run as bootchain:NAME.
  help                    this text

exit codes: 0 every expected stage passed, 1 the boot (or a scenario) failed, 2 error (bad input, host, QEMU)`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import('./build-command.ts')).runBuild,
  boot: async () => (await import('./boot-command.ts')).runBoot,
  run: async () => (await import('./run-command.ts')).runRun,
  start: async () => (await import('./start-command.ts')).runStart,
  list: async () => (await import('./run-command.ts')).runList,
  lint: async () => (await import('./lint-command.ts')).runLint,
  repro: async () => (await import('./repro-command.ts')).runRepro,
  bench: async () => (await import('./bench-command.ts')).runBench,
  doctor: async () => (await import('./doctor-command.ts')).runDoctor,
  fuzz: async () => (await import('./fuzz-command.ts')).runFuzzCommand,
  flake: async () => (await import('./flake-command.ts')).runFlakeCommand,
  'merge-reports': async () => (await import('./merge-reports-command.ts')).runMergeReports,
  init: async () => (await import('./init-command.ts')).runInit,
  test: async () => (await import('./test-command.ts')).runTest,
  debug: async () => (await import('./debug-command.ts')).runDebug,
};

/** Commands that read the project's config (its scenarios, images, artifacts folders). */
/** Commands that may boot, build or decompress: they sweep what a killed bootchain run left behind. */
const SWEEPING = new Set(['boot', 'run', 'start', 'build', 'test', 'debug', 'fuzz', 'flake']);
const USES_PROJECT = new Set(['build', 'boot', 'run', 'start', 'list', 'test', 'debug', 'repro', 'doctor']);

/** Entry point: returns the process exit code; only this layer writes to the terminal. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out(USAGE);
    return cmd ? 0 : 2;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    io.err(`error: unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  // A harness killed by SIGKILL could not clean up: its temp dirs are removed now, and the user told.
  const sweeps = SWEEPING.has(cmd);
  if (sweeps) {
    const swept = sweepLeftovers();
    if (swept.length) io.err(`cleaned up ${swept.length} temp dir(s) left by a killed bootchain run: ${swept.join(', ')}`);
  }
  try {
    if (USES_PROJECT.has(cmd)) {
      const file = findConfigFile();
      useConfig(file ? await loadConfig(file) : null);
    }
    // Its partial outputs too (the workspace is known only now): every command that may build or decompress.
    if (sweeps) {
      const ws = workspace();
      const partial = [...sweepTempFiles(ws.distDir), ...sweepTempFiles(join(ws.cacheDir, 'images'))];
      if (partial.length) io.err(`removed ${partial.length} partial output file(s) left by a killed bootchain run: ${partial.join(', ')}`);
    }
    return await (await load())(rest, io);
  } catch (e) {
    // util.parseArgs rejects unknown or malformed flags: that is a usage error, not a crash.
    const code = (e as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error [USAGE]: ${cmd}: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.err(formatError(e));
    return 2;
  } finally {
    // Benches: where the CPU went (this process, the processes it waited for, QEMU among them).
    if (process.env['BOOTCHAIN_CPU_FILE']) await writeCpuAccount(process.env['BOOTCHAIN_CPU_FILE']);
  }
}

/**
 * Appends one JSON line: CPU of this process (`selfMs`), of its reaped children (`childrenMs`, QEMU among them),
 * of the QEMUs (`qemuMs`), of this process while at least one QEMU ran (`duringQemuMs`), and of the private
 * network's holders (`holderMs`, also inside `childrenMs`).
 */
async function writeCpuAccount(file: string): Promise<void> {
  const { appendFile } = await import('node:fs/promises');
  const { cpuSnapshot, procTimesMs } = await import('../machine/cpu-account.ts');
  await appendFile(file, JSON.stringify({ ...(procTimesMs('self') ?? { selfMs: 0, childrenMs: 0 }), ...cpuSnapshot() }) + '\n');
}
