import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BootchainError } from '../errors.ts';
import { importTs } from '../import-ts.ts';

import type { BootchainConfig } from './define-config.ts';

export { defineConfig, type BootchainConfig } from './define-config.ts';

export const CONFIG_FILES = ['bootchain.config.ts', 'bootchain.config.mts', 'bootchain.config.mjs', 'bootchain.config.js'] as const;

/** The config file in `from` or the nearest folder above it, or null. */
export function findConfigFile(from: string = process.cwd()): string | null {
  let dir = resolve(from);
  for (;;) {
    for (const f of CONFIG_FILES) if (existsSync(join(dir, f))) return join(dir, f);
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** A loaded config with every folder resolved to an absolute path. */
export interface ResolvedConfig {
  file: string;
  root: string;
  scenariosDir: string;
  imagesDir: string | null;
  artifactsDir: string;
  distDir: string;
  jobs: number | null;
}

const FIELDS = ['scenarios', 'images', 'artifacts', 'dist', 'jobs'] as const;
const HINT = (file: string): string => `fix ${file} (\`npx bootchain init\` writes a working one)`;

function bad(file: string, field: string, what: string): never {
  throw new BootchainError('CONFIG_INVALID', `${file}: field \`${field}\` ${what}`, HINT(file));
}

/** A folder field: a relative path inside the project (the config's folder). */
function folder(file: string, root: string, field: string, v: unknown, mustExist: boolean): string {
  if (typeof v !== 'string' || v.trim() === '') bad(file, field, `must be a folder path (a string), got ${JSON.stringify(v)}`);
  const abs = resolve(root, v);
  const rel = relative(root, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) bad(file, field, `("${v}") must be a folder inside the project (${root})`);
  if (mustExist) {
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {}
    if (!isDir) bad(file, field, `names ${abs}, which ${existsSync(abs) ? 'is not a folder' : 'does not exist'}`);
  }
  return abs;
}

/** Checks a config's fields eagerly, naming the file and field of the first problem. */
export function validateConfig(value: unknown, file: string): ResolvedConfig {
  const root = dirname(file);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(file, 'default export', 'must be defineConfig({ scenarios: ... })');
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) bad(file, unknown[0]!, `is not a config field; fields: ${FIELDS.join(', ')}`);
  if (v.scenarios === undefined) bad(file, 'scenarios', 'is required (the folder of your scenario files, e.g. "boot-tests")');
  const scenariosDir = folder(file, root, 'scenarios', v.scenarios, true);
  const imagesDir = v.images === undefined ? null : folder(file, root, 'images', v.images, true);
  const artifactsDir = v.artifacts === undefined ? join(root, 'artifacts') : folder(file, root, 'artifacts', v.artifacts, false);
  const distDir = v.dist === undefined ? join(root, '.bootchain', 'dist') : folder(file, root, 'dist', v.dist, false);
  if (v.jobs !== undefined && (typeof v.jobs !== 'number' || !Number.isInteger(v.jobs) || v.jobs < 1 || v.jobs > 64)) bad(file, 'jobs', `must be a whole number 1..64, got ${JSON.stringify(v.jobs)}`);
  return { file, root, scenariosDir, imagesDir, artifactsDir, distDir, jobs: (v.jobs as number | undefined) ?? null };
}

/** Loads and checks a config file (TypeScript through tsx); a file that does not load names itself and why. */
export async function loadConfig(file: string): Promise<ResolvedConfig> {
  let mod: { default?: unknown };
  try {
    mod = await importTs(file);
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split('\n').slice(0, 3).join(' ');
    throw new BootchainError('CONFIG_BROKEN', `${file} failed to load: ${first}`, `fix the syntax or import error in ${file} (it must \`export default defineConfig({...})\` from 'bootchain')`);
  }
  return validateConfig(mod.default, file);
}
