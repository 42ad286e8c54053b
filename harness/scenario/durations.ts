import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readCachedJson, writeCachedJson } from '../json-cache.ts';
import { workspace } from '../project/workspace.ts';

/**
 * How long each scenario cell took when it last ran here (wall ms by cell name), remembered in the workspace's
 * cache so that parallel runs start the longest cells first (shard.ts: longestFirst): a long cell started last leaves the other jobs
 * idle at the end. Best effort: a cache that cannot be read or written only loses the ordering.
 */
const file = (): string => {
  const ws = workspace();
  // The user's cache folder is shared by every project on the machine: one record per scenarios folder.
  return join(ws.cacheDir, `durations-${createHash('sha256').update(ws.scenariosDir).digest('hex').slice(0, 12)}.json`);
};

const isDurations = (v: unknown): v is Record<string, number> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);

export async function rememberedDurations(): Promise<Record<string, number>> {
  return (await readCachedJson(file(), isDurations)) ?? {};
}

let writes: Promise<void> = Promise.resolve();

/** Records one cell's wall time (read, merge, write; this process's writes one after another). */
export function rememberDuration(name: string, ms: number): Promise<void> {
  writes = writes.then(async () => {
    const d = await rememberedDurations();
    d[name] = Math.round(ms);
    await writeCachedJson(file(), d);
  });
  return writes;
}
