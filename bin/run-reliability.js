#!/usr/bin/env node
// `npm run test:reliability [-- --seed N] [--soak-boots N] [--fuzz-cases N] [FILE…]`: the interrupt and fault
// suite, the fuzz subset and the resource soak (test/reliability/*.reliability.ts) under tap, two files at a
// time (each runs one boot at a time). The seed picks the fault points and the fuzz cases (default 14).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { seed: { type: 'string' }, 'soak-boots': { type: 'string' }, 'fuzz-cases': { type: 'string' } },
});
const env = { ...process.env };
const num = (v, name) => {
  if (!/^\d+$/.test(v)) {
    console.error(`error: --${name} must be a whole number, got "${v}"`);
    process.exit(2);
  }
  return v;
};
if (values.seed !== undefined) env.BOOTCHAIN_SEED = num(values.seed, 'seed');
if (values['soak-boots'] !== undefined) env.BOOTCHAIN_SOAK_BOOTS = num(values['soak-boots'], 'soak-boots');
if (values['fuzz-cases'] !== undefined) env.BOOTCHAIN_FUZZ_CASES = num(values['fuzz-cases'], 'fuzz-cases');
const files = positionals.length ? positionals : readdirSync('test/reliability').filter((f) => f.endsWith('.reliability.ts')).map((f) => `test/reliability/${f}`);
const r = spawnSync(process.execPath, ['node_modules/tap/dist/esm/run.mjs', '--jobs=2', '--timeout=1800', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
