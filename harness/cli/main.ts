import { formatError } from '../errors.ts';
import { processIo, type CliIo } from './io.ts';
import { sweepLeftovers } from '../leftovers.ts';

const USAGE = `usage: bootchain <command> [options]

commands:
  build [NAME]            build images/NAME (default hypersolid-cloud) into dist/ and self-check it
  boot IMAGE              boot any raw or .img.gz image through the stage ladder
        [--serve DIR] [--bootfile PATH] [--expect STAGE] [--json] [--serial S] [--realtime | --icount-shift N]
        [--accel tcg|kvm] [--timeout SEC] [--artifacts DIR] [--memory MiB]
        [--host NAME=DIR|down|blackhole]... [--network private|user] [--until TEXT]
        [--write-baseline FILE] [--baseline FILE] [--tolerance-ms N] [--tolerance-pct N]
  run [--scenario NAME] [--tag TAG] [--jobs N] [--shard I/N] [--durations FILE] [--write-durations FILE]
      [--memory MiB] [--realtime] [--json] [--write-baseline DIR] [--baseline DIR]
                          run scenarios with a live stage table (all when no name)
  start                   build the default image and boot it through every stage
  lint IMAGE [--json]     check an image statically (MBR, GPT, VBR, ldlinux, config, iPXE script) without booting
  repro BUNDLE            rerun a failed boot from its reproducer bundle (artifacts/<run>/repro or repro.tar.gz)
  bench [--only build|boot|network|os|jobs|scenarios] [--runs N]
                          speed figures as ratios against baselines measured in the same run
  merge-reports FILE|DIR... [--junit FILE] [--json FILE]
                          merge the run --json summaries of CI shards into one summary and one JUnit file
  fuzz [--seed N] [--cases N] [--jobs N] [--boot-timeout S] [--image IMG] [--json FILE] [--only I,J] [--keep] [--from FILE.jsonl]
                          mutate the image's boot-critical bytes (seeded) and lint + boot each case: no crash, hang or unproven pass
  flake [--scenario NAME]... [--runs N] [--no-hog] [--json FILE]
                          run each scenario N times (and N more beside a CPU hog): same verdict, stage and code every time
  doctor                  check every host requirement (a real namespace and KVM probe) and print the fix for each gap
  list                    list the scenarios
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
};

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
  if (cmd === 'boot' || cmd === 'run' || cmd === 'start' || cmd === 'build' || cmd === 'fuzz' || cmd === 'flake') {
    const swept = sweepLeftovers();
    if (swept.length) io.err(`cleaned up ${swept.length} temp dir(s) left by a killed bootchain run: ${swept.join(', ')}`);
  }
  try {
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
  }
}
