import { readdir } from 'node:fs/promises';
import { join, resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BootchainError } from '../errors.ts';
import type { ScenarioDefinition } from './define.ts';
import { validateScenario } from './validate.ts';
import { projectRoot } from '../project-root.ts';
import { importTs } from '../import-ts.ts';
import { expandCells, type ScenarioCell } from './cells.ts';

export interface LoadedScenario {
  name: string;
  file: string;
  def: ScenarioDefinition;
}

export const DEFAULT_SCENARIOS_DIR = resolve(projectRoot(), 'scenarios');



/** Names of the scenario files in DIR (`<name>.ts`), sorted. */
export async function listScenarioNames(dir = DEFAULT_SCENARIOS_DIR): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    throw new BootchainError('SCENARIOS_DIR_MISSING', `scenario folder ${dir} does not exist`, 'reinstall bootchain: its scenarios/ folder is part of the package');
  }
  return entries
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

/** Loads and validates one scenario; an unknown name lists the valid ones. */
export async function loadScenario(name: string, dir = DEFAULT_SCENARIOS_DIR): Promise<LoadedScenario> {
  const names = await listScenarioNames(dir);
  if (!names.includes(name)) {
    throw new BootchainError(
      'SCENARIO_UNKNOWN',
      `unknown scenario "${name}"; valid scenarios: ${names.join(', ')}`,
      `pick one of the names above (files in ${dir})`,
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
export async function loadAllScenarios(dir = DEFAULT_SCENARIOS_DIR): Promise<LoadedScenario[]> {
  const names = await listScenarioNames(dir);
  const out: LoadedScenario[] = [];
  for (const n of names) out.push(await loadScenario(n, dir));
  return out;
}

/** One scenario's cells (itself, or one per matrix cell). */
export async function loadScenarioCells(name: string, dir = DEFAULT_SCENARIOS_DIR): Promise<ScenarioCell[]> {
  return expandCells(await loadScenario(name, dir));
}

/** Every scenario's cells, in scenario order. */
export async function loadAllCells(dir = DEFAULT_SCENARIOS_DIR): Promise<ScenarioCell[]> {
  return (await loadAllScenarios(dir)).flatMap(expandCells);
}
