import { execa } from 'execa';
import { median, ms, ratio, table } from './stats.ts';

/**
 * The mission's own command, `npm test -- --scenario NAME`, against the bare `bootchain run --scenario NAME`
 * (baseline) and the boot inside it, taken in turns in the same run.
 */
export async function benchEntry(log: (s: string) => void, runs = 3, scenario = 'external-script'): Promise<void> {
  const npm: number[] = [];
  const bare: number[] = [];
  const boot: number[] = [];
  const time = async (cmd: string, args: string[]): Promise<{ ms: number; stdout: string }> => {
    const t0 = performance.now();
    const r = await execa(cmd, args, { reject: false });
    const took = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`bench: ${cmd} ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.slice(-400)}`);
    return { ms: took, stdout: r.stdout };
  };
  // One untimed run first: the image build (cached after) and the CLI bundle are not what is measured.
  await time('node', ['bin/bootchain.js', 'run', '--scenario', scenario]);
  for (let i = 0; i < runs; i++) {
    const b = await time('node', ['bin/bootchain.js', 'run', '--scenario', scenario, '--json']);
    bare.push(b.ms);
    boot.push((JSON.parse(b.stdout) as Array<{ wallMs: number }>)[0]!.wallMs);
    npm.push((await time('npm', ['test', '--', '--scenario', scenario])).ms);
  }
  const base = median(bare);
  log(`## npm test -- --scenario ${scenario} (${runs} runs each, in turns)`);
  log(table(['what', 'median', 'vs bare run'], [
    [`bootchain run --scenario ${scenario} — baseline`, ms(base), '1.00×'],
    [`  the boot inside it (report wallMs)`, ms(median(boot)), ratio(median(boot), base)],
    [`npm test -- --scenario ${scenario}`, ms(median(npm)), ratio(median(npm), base)],
  ]));
  log('');
}
