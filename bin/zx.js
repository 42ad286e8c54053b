#!/usr/bin/env node
// Runs a zx script from ci/ with zx's globals ($, fs, path, chalk …) in scope.
import 'zx/globals';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
const script = process.argv[2];
if (!script) { console.error('usage: bin/zx.js SCRIPT [ARGS…]'); process.exit(2); }
await import(pathToFileURL(resolve(script)).href);
