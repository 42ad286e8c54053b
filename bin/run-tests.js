#!/usr/bin/env node
// `npm test [-- --scenario NAME]`: unit tests + every scenario under tap, or exactly the named scenarios.
// Named scenarios run through the CLI's own TAP reporter (`bootchain run --tap`, the same assertions as the
// tap tier): no tap runner and no TypeScript loader to start, so the command costs little more than the
// boot itself. Any other reporter goes through tap, which gets the names through --test-env.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    scenario: { type: 'string', multiple: true },
    reporter: { type: 'string' },
    'reporter-file': { type: 'string' },
    unit: { type: 'boolean', default: false },
    shard: { type: 'string' },
  },
});
// The scenario files' names, as the catalog lists them (scenarios/<name>.ts).
const names = readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3)).sort();
const chosen = values.scenario ?? [];
const unknown = chosen.filter((n) => !names.includes(n));
if (unknown.length) {
  console.error(`error: unknown scenario ${unknown.map((n) => `"${n}"`).join(', ')}\nvalid scenarios:\n${names.map((n) => `  ${n}`).join('\n')}`);
  process.exit(2);
}
const fastReporter = values.reporter === undefined ? !values['reporter-file'] : values.reporter === 'junit' && !!values['reporter-file'];
if (chosen.length && values.shard === undefined && !values.unit && positionals.length === 0 && fastReporter) {
  const cli = [join(root, 'bin', 'bootchain.js'), 'run', ...chosen.flatMap((n) => ['--scenario', n]), '--tap'];
  if (values.reporter === 'junit') cli.push('--junit', values['reporter-file']);
  const r = spawnSync(process.execPath, cli, { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const { register } = await import('tsx/esm/api');
register();
const tapArgs = [];
if (values.reporter) tapArgs.push(`--reporter=${values.reporter}`);
if (values['reporter-file']) tapArgs.push(`--reporter-file=${values['reporter-file']}`);
const SCENARIO_TIER = ['test/scenarios/scenarios-a.e2e.test.ts', 'test/scenarios/scenarios-b.e2e.test.ts'];
if (values.shard !== undefined) {
  const { parseShard } = await import('../harness/scenario/shard.ts');
  try {
    parseShard(values.shard);
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(2);
  }
  // Each runner takes its slice of the scenario cells (and of the modes check); the other test files run on shard 1.
  tapArgs.push(`--test-env=BOOTCHAIN_SHARD=${values.shard}`);
  if (!values.shard.startsWith('1/')) tapArgs.push(...SCENARIO_TIER, 'test/warp/modes-agree-a.e2e.test.ts', 'test/warp/modes-agree-b.e2e.test.ts');
}
if (chosen.length) {
  // One scenario: one file of the tier takes all its cells (BOOTCHAIN_TIER_PARTS=1).
  tapArgs.push(`--test-env=BOOTCHAIN_SCENARIO=${chosen.join(',')}`, ...(chosen.length === 1 ? ['--test-env=BOOTCHAIN_TIER_PARTS=1', SCENARIO_TIER[0]] : SCENARIO_TIER));
} else if (values.unit) {
  // The unit tier: every test but the end-to-end ones (*.e2e.test.ts boot real QEMU).
  tapArgs.push('--exclude=**/*.e2e.test.ts', '--exclude=**/fixtures/**', ...positionals);
} else tapArgs.push(...positionals);
const env = { ...process.env };
// The tier's files split the cells by the durations they last took here: one snapshot for every file of this
// run (the files record new durations as they go; each must see the same split, or a cell would run twice or never).
const { rememberedDurations } = await import('../harness/scenario/durations.ts');
env.BOOTCHAIN_TIER_DURATIONS = JSON.stringify(await rememberedDurations());
let guard = null;
if (values.unit) {
  // Proof that the unit tier boots nothing: a qemu-system-x86_64 first on PATH that records any start and fails.
  guard = mkdtempSync(join(tmpdir(), 'bootchain-unit-guard-'));
  const fake = join(guard, 'qemu-system-x86_64');
  writeFileSync(fake, `#!/bin/sh\necho "$*" >> '${guard}/started'\necho 'bootchain: the unit tier must not start QEMU' >&2\nexit 3\n`, { mode: 0o755 });
  env.PATH = `${guard}:${env.PATH ?? ''}`;
}
const startedAt = Date.now();
const r = spawnSync(process.execPath, ['node_modules/tap/dist/esm/run.mjs', ...tapArgs], { stdio: 'inherit', env });
let status = r.status ?? 1;
if (status !== 0) recapFailures(startedAt);
if (guard) {
  const started = existsSync(join(guard, 'started')) ? readFileSync(join(guard, 'started'), 'utf8').trim() : '';
  rmSync(guard, { recursive: true, force: true });
  if (started) {
    console.error(`error: the unit tier started QEMU (move that test to a *.e2e.test.ts file):\n${started.split('\n').map((l) => `  qemu-system-x86_64 ${l.slice(0, 160)}`).join('\n')}`);
    status = 1;
  }
}
process.exit(status);

// A CI log often keeps only the tail: name every failed assertion again at the end, with its diagnostics
// (the stage table and console tail live there), read from tap's saved results of this run.
function recapFailures(since) {
  const dir = join(root, '.tap', 'test-results');
  const files = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.tap') && statSync(p).mtimeMs >= since - 1000) files.push(p);
    }
  };
  walk(dir);
  const out = [];
  for (const f of files.sort()) {
    const lines = readFileSync(f, 'utf8').split('\n');
    const blocks = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\s*)not ok \d+/.exec(lines[i]);
      if (!m) continue;
      // A parent's "not ok" only repeats its children's: keep the innermost (a following YAML block or none).
      const block = [lines[i]];
      const yamlIndent = m[1] + '  ';
      if (lines[i + 1]?.startsWith(yamlIndent + '---')) {
        for (let j = i + 1; j < lines.length && block.length < 80; j++) {
          block.push(lines[j]);
          if (lines[j].startsWith(yamlIndent + '...')) break;
        }
      }
      blocks.push(block.join('\n'));
    }
    if (blocks.length) out.push(`# failed in ${f.slice(dir.length + 1).replace(/\.tap$/, '')}:`, ...blocks);
  }
  if (out.length) console.error(`\n# ---- failures of this run (again, for logs that keep only the tail) ----\n${out.join('\n')}`);
}
