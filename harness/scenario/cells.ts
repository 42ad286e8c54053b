import type { LoadedScenario } from './catalog.ts';
import type { ScenarioDefinition, ScenarioMatrix } from './define.ts';

/** One cell's hardware: the matrix axes and their values. */
export type CellValues = Partial<Record<'diskBus' | 'nic' | 'machine' | 'memoryMiB', string | number>>;

export interface ScenarioCell extends LoadedScenario {
  /** The scenario the cell comes from, and its hardware (absent for a scenario without a matrix). */
  base: string;
  cell?: CellValues;
  /** Why this cell is expected to fail (a matrix `expectFail` entry), if it is. */
  expectedFailure?: string;
}

const AXES = ['diskBus', 'nic', 'machine', 'memoryMiB'] as const;

/** The matrix's cells: a covering set (each value at least once) or, with `cross`, every combination. */
export function matrixCells(m: ScenarioMatrix): CellValues[] {
  const axes = AXES.filter((a) => (m[a]?.length ?? 0) > 0).map((a) => [a, m[a] as Array<string | number>] as const);
  if (axes.length === 0) return [];
  if (m.cross) {
    return axes.reduce<CellValues[]>((acc, [a, vs]) => acc.flatMap((c) => vs.map((v) => ({ ...c, [a]: v }))), [{}]);
  }
  const n = Math.max(...axes.map(([, vs]) => vs.length));
  return Array.from({ length: n }, (_, i) => Object.fromEntries(axes.map(([a, vs]) => [a, vs[i % vs.length]!])) as CellValues);
}

export const cellName = (base: string, c: CellValues): string => `${base}[${Object.entries(c).map(([k, v]) => `${k}=${v}`).join(',')}]`;

/** A scenario as the cells it runs: itself, or one per matrix cell (machine options and expectations set). */
export function expandCells(s: LoadedScenario): ScenarioCell[] {
  const m = s.def.matrix;
  if (!m) return [{ ...s, base: s.name }];
  return matrixCells(m).map((c) => {
    const fail = m.expectFail?.find((x) => Object.entries(x.when).every(([k, v]) => c[k as keyof CellValues] === v));
    const def: ScenarioDefinition = {
      ...s.def,
      machine: {
        ...s.def.machine,
        ...(c.diskBus !== undefined ? { diskBus: c.diskBus as never } : {}),
        ...(c.nic !== undefined ? { nicModel: c.nic as never } : {}),
        ...(c.machine !== undefined ? { machineType: c.machine as never } : {}),
        ...(c.memoryMiB !== undefined ? { memoryMiB: Number(c.memoryMiB) } : {}),
      },
      ...(fail ? { expect: { failAt: fail.failAt, ...(fail.code ? { code: fail.code } : {}) } } : {}),
    };
    return { name: cellName(s.name, c), file: s.file, def, base: s.name, cell: c, ...(fail ? { expectedFailure: fail.why } : {}) };
  });
}

/** `--only diskBus=ide,nic=e1000`: the cells whose values match every given pair. */
export function parseOnly(v: string | undefined): CellValues | null {
  if (!v) return null;
  const out: CellValues = {};
  for (const pair of v.split(',')) {
    const [k, val] = pair.split('=');
    if (!k || val === undefined || !(AXES as readonly string[]).includes(k)) throw new Error(`--only ${v}: expected axis=value pairs with axes ${AXES.join(', ')}`);
    out[k as keyof CellValues] = k === 'memoryMiB' ? Number(val) : val;
  }
  return out;
}

export function matchesOnly(c: ScenarioCell, only: CellValues | null): boolean {
  if (!only) return true;
  return c.cell !== undefined && Object.entries(only).every(([k, v]) => c.cell![k as keyof CellValues] === v);
}
