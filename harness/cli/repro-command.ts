import { parseArgs } from 'node:util';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BootchainError } from '../errors.ts';
import type { BootEvent } from '../events.ts';
import { prepareBootImage } from '../scenario/prepare-image.ts';
import { runBootSession } from '../scenario/boot-session.ts';
import { newArtifactsDir } from '../report/artifacts.ts';
import { toBootReport, type BootReport } from '../report/json-report.ts';
import { consoleLinesOf, writeHtmlReport } from '../report/html-report.ts';
import { openReproBundle, locateReproImage, unpackBundledImage } from '../report/repro-load.ts';
import { materializeRoutes } from '../report/repro-routes.ts';
import type { ReproBundleJson } from '../report/repro-types.ts';
import { formatStageTable } from '../stages/index.ts';
import { withInterrupt } from './interrupt.ts';
import type { CliIo } from './io.ts';

function outcome(verdict: string, failure: { code: string; stage: string } | null): string {
  return `${verdict.toUpperCase()}${failure ? ` (${failure.code} at ${failure.stage})` : ''}`;
}

/** Same verdict, and for failures the same code at the same stage. */
export function sameOutcome(b: ReproBundleJson, r: Pick<BootReport, 'verdict' | 'failure'>): boolean {
  return b.verdict === r.verdict && (b.failure?.code ?? null) === (r.failure?.code ?? null) && (b.failure?.stage ?? null) === (r.failure?.stage ?? null);
}

/**
 * `bootchain repro BUNDLE`: reruns a bundled boot (repro/ folder or repro.tar.gz) with the same image
 * (hash-checked), options and served files, prints the stage table and whether the outcome matches.
 * Exit: 0 reproduced, 1 outcome differs, 2 error.
 */
export async function runRepro(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { artifacts: { type: 'string' }, json: { type: 'boolean', default: false }, timeout: { type: 'string' } },
  });
  const input = positionals[0];
  if (!input || positionals.length > 1)
    throw new BootchainError('USAGE', 'repro takes exactly one BUNDLE (a repro/ folder or repro.tar.gz)', 'e.g. npx bootchain repro artifacts/<run>/repro.tar.gz');
  const timeoutS = values.timeout === undefined ? null : Number(values.timeout);
  if (timeoutS !== null && !(timeoutS > 0)) throw new BootchainError('USAGE', `--timeout must be a positive number of seconds, got "${values.timeout}"`, 'e.g. --timeout 60');
  const opened = await openReproBundle(input);
  try {
    const b = opened.bundle;
    const artifactsDir = values.artifacts ? resolve(values.artifacts) : await newArtifactsDir(undefined, `repro-${b.scenario ?? basename(b.image.path)}`);
    return await withInterrupt(io, async (signal) => {
      const notes: string[] = [];
      const loc = await locateReproImage(opened, notes);
      await mkdir(artifactsDir, { recursive: true });
      // A bundled image is unpacked into the run's artifacts (sparse) and hash-checked before it boots.
      const image = loc.needsVerify ? await unpackBundledImage(b, loc.input, join(artifactsDir, 'bundled-image.img')) : loc.input;
      const prepared = await prepareBootImage(image, { workDir: artifactsDir });
      const routes = await materializeRoutes(b.routes, artifactsDir);
      if (!values.json) {
        io.err(`reproducing ${b.scenario ?? b.image.path}: bundle says ${outcome(b.verdict, b.failure)} (expect: ${b.expectedStage})`);
        for (const n of [...notes, ...prepared.notes]) io.err(`  note: ${n}`);
      }
      const r = await runBootSession({
        image: prepared.image,
        diskMap: prepared.map,
        machine: b.options.machine,
        routes,
        bootfile: b.options.bootfile,
        finalStage: b.options.finalStage,
        overallTimeoutMs: timeoutS !== null ? timeoutS * 1000 : b.options.overallTimeoutMs,
        scriptSource: b.options.scriptSource,
        artifactsDir,
        marker: b.options.marker,
        meta: { image: b.image.path, scenario: b.scenario, notes: [...notes, ...prepared.notes, `rerun of bundle ${resolve(input)}`], lint: prepared.lint },
        reproBundle: false,
        signal,
      });
      const report = r.report;
      const same = sameOutcome(b, report);
      if (values.json) io.out(JSON.stringify({ reproduced: same, bundle: { verdict: b.verdict, failure: b.failure }, rerun: report }, null, 2));
      else {
        io.out(formatStageTable(r.stages, r.failure));
        io.out(`rerun: ${outcome(r.verdict, r.failure)} (${r.endedBy}) in ${(r.wallMs / 1000).toFixed(2)} s — artifacts: ${artifactsDir}`);
        io.out(same ? `reproduced: same outcome as the bundle, ${outcome(b.verdict, b.failure)}` : `NOT reproduced: the bundle says ${outcome(b.verdict, b.failure)}, the rerun gave ${outcome(r.verdict, r.failure)}`);
      }
      if (same) return 0;
      return r.verdict === 'error' ? 2 : 1;
    });
  } finally {
    await opened.close();
  }
}
