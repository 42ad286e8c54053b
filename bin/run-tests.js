#!/usr/bin/env node
// `npm test [-- --scenario NAME]`: unit tests + every scenario under tap, or exactly one scenario.
// tap rejects unknown flags, so the scenario name reaches the test process through --test-env.
import { register } from 'tsx/esm/api';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

register();
const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    scenario: { type: 'string', multiple: true },
    reporter: { type: 'string' },
    'reporter-file': { type: 'string' },
    unit: { type: 'boolean', default: false },
  },
});
const { listScenarioNames } = await import('../harness/scenario/catalog.ts');
const names = await listScenarioNames();
const chosen = values.scenario ?? [];
const unknown = chosen.filter((n) => !names.includes(n));
if (unknown.length) {
  console.error(`error: unknown scenario ${unknown.map((n) => `"${n}"`).join(', ')}\nvalid scenarios:\n${names.map((n) => `  ${n}`).join('\n')}`);
  process.exit(2);
}
const tapArgs = [];
if (values.reporter) tapArgs.push(`--reporter=${values.reporter}`);
if (values['reporter-file']) tapArgs.push(`--reporter-file=${values['reporter-file']}`);
if (chosen.length) {
  tapArgs.push(`--test-env=BOOTCHAIN_SCENARIO=${chosen.join(',')}`, 'test/scenarios/scenarios.test.ts');
} else if (values.unit) {
  // Everything but the real-QEMU scenario tier.
  tapArgs.push('--exclude=test/scenarios/**', '--exclude=**/fixtures/**', ...positionals);
} else tapArgs.push(...positionals);
const r = spawnSync(process.execPath, ['node_modules/tap/dist/esm/run.mjs', ...tapArgs], { stdio: 'inherit' });
process.exit(r.status ?? 1);
