import { BootchainError } from '../errors.ts';
import type { LedgerEntry } from '../events.ts';
import type { MachineOptions } from '../machine/index.ts';
import type { RouteDef } from '../network/index.ts';
import type { StageId, Verdict } from '../stages/ladder.ts';
import type { BootReport } from './json-report.ts';

/** The boot options a rerun needs (the serialisable part of BootSessionOptions). */
export interface ReproBootOptions {
  machine: Omit<MachineOptions, 'image' | 'bootfileUrl' | 'startedAt'>;
  bootfile: string | null;
  finalStage: StageId;
  overallTimeoutMs: number;
  scriptSource: 'embedded' | 'command line' | 'initrd' | 'autoboot' | null;
  marker: string;
}

/** A served file carried in the bundle: inlined when small, else referenced by host path + hash. */
export interface BundledFile {
  /** Path relative to the route's dir ("" for a `file` route). */
  rel: string;
  hostPath: string;
  size: number;
  sha256: string;
  encoding?: 'utf8' | 'base64';
  content?: string;
}

export type BundledRoute = Omit<RouteDef, 'file' | 'dir'> & { source?: { kind: 'file' | 'dir'; hostPath: string }; files?: BundledFile[] };

export interface ReproBundleJson {
  format: 'bootchain-repro';
  version: 1;
  createdAt: string;
  scenario: string | null;
  image: { path: string; sha256: string; sizeBytes: number; bundled: string | null; note: string | null };
  qemu: { argv: string[]; commandLine: string };
  options: ReproBootOptions;
  routes: BundledRoute[];
  ledger: LedgerEntry[];
  expectedStage: StageId;
  verdict: Verdict;
  failure: BootReport['failure'];
  stages: Array<{ id: string; status: string; atMs: number | null }>;
  endedBy: string;
  notes: string[];
}

/** Checks a bundle.json read from disk; errors name the file and the field. */
export function validateBundleJson(raw: unknown, file: string): ReproBundleJson {
  const bad = (field: string, want: string): BootchainError =>
    new BootchainError('REPRO_BUNDLE_INVALID', `${file}: \`${field}\` must be ${want}`, 'use a bundle written by `bootchain` (repro/ or repro.tar.gz from a run\'s artifacts)');
  if (typeof raw !== 'object' || raw === null) throw bad('(top level)', 'a JSON object');
  const b = raw as Record<string, unknown>;
  if (b.format !== 'bootchain-repro') throw bad('format', '"bootchain-repro"');
  if (b.version !== 1) throw bad('version', '1');
  const img = b.image as Record<string, unknown> | undefined;
  if (!img || typeof img.path !== 'string') throw bad('image.path', 'a string');
  if (typeof img.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(img.sha256)) throw bad('image.sha256', 'a hex sha256');
  if (img.bundled !== null && typeof img.bundled !== 'string') throw bad('image.bundled', 'null or a file name');
  const o = b.options as Record<string, unknown> | undefined;
  if (!o || typeof o.machine !== 'object' || o.machine === null) throw bad('options.machine', 'an object');
  if (typeof o.finalStage !== 'string') throw bad('options.finalStage', 'a stage id');
  if (typeof o.overallTimeoutMs !== 'number' || !(o.overallTimeoutMs > 0)) throw bad('options.overallTimeoutMs', 'a positive number');
  if (typeof o.marker !== 'string') throw bad('options.marker', 'a string');
  if (!Array.isArray(b.routes)) throw bad('routes', 'an array');
  if (!['pass', 'fail', 'error'].includes(b.verdict as string)) throw bad('verdict', 'pass, fail or error');
  return raw as ReproBundleJson;
}
