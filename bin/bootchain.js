#!/usr/bin/env node
// Entry shim: run the TypeScript CLI through tsx without a separate compile step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
