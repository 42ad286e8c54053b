import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** The bootchain package's own folder (holds scenarios/, images/), found from this module upwards. */
export function projectRoot(): string {
  if (cached) return cached;
  // The bundled CLI runs from a cache folder outside the package: bin/bootchain.js names the package's folder.
  const given = process.env['BOOTCHAIN_PACKAGE_ROOT'];
  if (given && existsSync(join(given, 'package.json'))) return (cached = given);
  // Works from the TypeScript sources and from the bundled CLI (.cache/cli/main.mjs) alike.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'bootchain') return (cached = dir);
    const up = resolve(dir, '..');
    if (up === dir) return (cached = process.cwd());
    dir = up;
  }
}
