// The facts lint reads from an ipxe.lkrn, cached by the file's sha256: decoding its LZMA payload costs
// ~0.2 s of CPU, on the core QEMU would otherwise have to itself, and every boot of the same iPXE build
// (every scenario of a suite) gives the same answer. The cache is an optimisation only: a cache that
// cannot be read or written is ignored.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from '../project/workspace.ts';
import { lkrnFacts, lkrnInfo, type LkrnFacts, type LkrnInfo } from './ipxe-lkrn.ts';

const FORMAT = 1;
const memory = new Map<string, LkrnFacts>();

const cacheDir = (): string => join(workspace().cacheDir, 'lkrn');

function isFacts(x: unknown): x is LkrnFacts & { format: number } {
  const f = x as Partial<LkrnFacts & { format: number }> | null;
  return !!f && f.format === FORMAT && typeof f.payloadBytes === 'number' && Array.isArray(f.features) && (f.names === null || Array.isArray(f.names));
}

/** inspectLkrn, answered from the cache when this exact file was read before. Never throws. */
export function inspectLkrnCached(lkrn: Buffer, dir: string = cacheDir()): LkrnInfo & { cached: boolean } {
  const key = createHash('sha256').update(lkrn).digest('hex');
  let facts = memory.get(key);
  let cached = !!facts;
  if (!facts) {
    try {
      const x = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as unknown;
      if (isFacts(x)) {
        facts = x;
        cached = true;
      }
    } catch {}
  }
  if (!facts) {
    facts = lkrnFacts(lkrn);
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `${key}.json.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify({ format: FORMAT, ...facts }));
      renameSync(tmp, join(dir, `${key}.json`));
    } catch {}
  }
  memory.set(key, facts);
  return { ...lkrnInfo(facts), cached };
}

/** Forgets the in-process answers (tests). */
export function clearLkrnMemory(): void {
  memory.clear();
}
