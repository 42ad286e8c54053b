import { readdir } from 'node:fs/promises';
import { join, resolve, basename, relative, isAbsolute } from 'node:path';
import { BootchainError } from '../errors.ts';
import type { ScenarioDefinition } from './define.ts';
import { validateScenario } from './validate.ts';
import { EXAMPLE_PREFIX, exampleScenariosDir, workspace } from '../project/workspace.ts';
import { importTs } from '../import-ts.ts';
import { expandCells, type ScenarioCell } from './cells.ts';

export interface LoadedScenario {
  name: string;
  file: string;
  def: ScenarioDefinition;
  /** One of bootchain's own scenarios run from a project (`bootchain:NAME`): its images are bootchain's. */
  example?: boolean;
}

/** The scenarios folder in use: the project's (bootchain.config.ts) or bootchain's own. */
const scenariosDir = (): string => workspace().scenariosDir;

/** Names of the scenario files in DIR (`<name>.ts`), sorted. */
export async function listScenarioNames(dir = scenariosDir()): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    throw new BootchainError('SCENARIOS_DIR_MISSING', `scenario folder ${dir} does not exist`, workspace().config ? `create it or fix \`scenarios\` in ${workspace().config!.file}` : 'reinstall bootchain: its scenarios/ folder is part of the package');
  }
  return entries
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

/**
 * A scenario given by path (`boot-tests/x.ts`) as its name; it must be a file of the scenarios folder.
 */
function nameFromPath(arg: string, dir: string): string {
  const abs = resolve(arg);
  const rel = relative(dir, abs);
  if (rel.startsWith('..') || isAbsolute(rel) || rel.includes('/')) {
    throw new BootchainError('SCENARIO_OUTSIDE', `--scenario ${arg}: the file ${abs} is outside the scenarios folder ${dir}`, `move it into ${dir}${workspace().config ? ` (the \`scenarios\` field of ${workspace().config!.file})` : ''}, or run it by name`);
  }
  return basename(rel, '.ts');
}

/** Loads and validates one scenario; an unknown name lists the valid ones. `bootchain:NAME` is one of bootchain's own. */
export async function loadScenario(name: string, dir = scenariosDir()): Promise<LoadedScenario> {
  if (name.startsWith(EXAMPLE_PREFIX) && dir === scenariosDir() && workspace().config) {
    const s = await loadScenario(name.slice(EXAMPLE_PREFIX.length), exampleScenariosDir());
    return { ...s, name, example: true };
  }
  if (name.endsWith('.ts')) name = nameFromPath(name, dir);
  const names = await listScenarioNames(dir);
  if (!names.includes(name)) {
    throw new BootchainError(
      'SCENARIO_UNKNOWN',
      `unknown scenario "${name}"; valid scenarios: ${names.join(', ')}`,
      `pick one of the names above (files in ${dir})${workspace().config ? `; bootchain's own examples run as ${EXAMPLE_PREFIX}NAME (bootchain list --examples)` : ''}`,
    );
  }
  const file = join(dir, `${name}.ts`);
  let mod: { default?: unknown };
  try {
    mod = await importTs(file);
  } catch (e) {
    throw new BootchainError('SCENARIO_BROKEN', `scenario file ${file} failed to load: ${(e as Error).message}`, 'fix the syntax or import error in that file');
  }
  return { name, file, def: validateScenario(mod.default, file) };
}

/** Loads every scenario (all must be valid: a broken one is an error, not a skip). */
export async function loadAllScenarios(dir = scenariosDir()): Promise<LoadedScenario[]> {
  const names = await listScenarioNames(dir);
  const out: LoadedScenario[] = [];
  for (const n of names) out.push(await loadScenario(n, dir));
  return out;
}

/** One scenario's cells (itself, or one per matrix cell). */
export async function loadScenarioCells(name: string, dir = scenariosDir()): Promise<ScenarioCell[]> {
  return expandCells(await loadScenario(name, dir));
}

/** Every scenario's cells, in scenario order. */
export async function loadAllCells(dir = scenariosDir()): Promise<ScenarioCell[]> {
  return (await loadAllScenarios(dir)).flatMap(expandCells);
}
