import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runTool } from '../run-tool.ts';
import { BootchainError } from '../errors.ts';
import type { LedgerEntry } from '../events.ts';
import type { RouteDef } from '../network/index.ts';
import type { BootReport } from './json-report.ts';
import { sha256File } from './file-hash.ts';
import { bundleRoutes } from './repro-routes.ts';
import type { ReproBootOptions, ReproBundleJson } from './repro-types.ts';
import { shellQuote } from './shell-quote.ts';
import { findTool, requireTool } from '../image/host-tools.ts';

/** A compressed image is carried inside the bundle only below this size. */
export const BUNDLED_IMAGE_MAX = 4 * 1024 * 1024;
/** Don't even try to compress images with more allocated data than this. */
const COMPRESS_ALLOCATED_MAX = 1024 * 1024 * 1024;

export interface ReproBundleInput {
  /** The raw image QEMU actually booted (after any scenario damage). */
  imagePath: string;
  argv: string[];
  servedRoutes: RouteDef[];
  ledger: LedgerEntry[];
  consoleText: string;
  traceText: string;
  report: BootReport;
  scenario: string | null;
  /** The boot options to rerun with; only the serialisable keys are kept. */
  options: ReproBootOptions;
}

class TooBig extends Error {}

/** pigz (or gzip) into `out`, aborting as soon as the output passes `max` bytes. */
async function gzipCapped(image: string, out: string, max: number): Promise<boolean> {
  const tool = findTool('pigz') ?? requireTool('gzip');
  const proc = runTool(tool, ['-c', '-6', image], { buffer: false, stdin: 'ignore', stderr: 'ignore' });
  let n = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb(n > max ? new TooBig() : null, chunk);
    },
  });
  try {
    await Promise.all([pipeline(proc.stdout, cap, createWriteStream(out)), proc]);
    return true;
  } catch (e) {
    proc.kill('SIGKILL');
    await proc.catch(() => undefined);
    await rm(out, { force: true });
    if (e instanceof TooBig) return false;
    throw e;
  }
}

function pickOptions(o: ReproBootOptions): ReproBootOptions {
  const { startedAt: _drop, ...machine } = o.machine as ReproBootOptions['machine'] & { startedAt?: number };
  return { machine, bootfile: o.bootfile, finalStage: o.finalStage, overallTimeoutMs: o.overallTimeoutMs, scriptSource: o.scriptSource, marker: o.marker };
}

/**
 * Writes `dir/repro/` (bundle.json, console.txt, block-trace.txt, qemu-cmdline.txt and, when it
 * compresses below 4 MiB, image.img.gz) and `dir/repro.tar.gz`. Big images are referenced by path + sha256.
 */
export async function writeReproBundle(dir: string, input: ReproBundleInput): Promise<{ dir: string; tarball: string }> {
  const root = resolve(dir);
  const out = join(root, 'repro');
  const tarball = join(root, 'repro.tar.gz');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const notes: string[] = [];
  const imagePath = resolve(input.imagePath);
  const st = await stat(imagePath).catch(() => null);
  if (!st?.isFile()) throw new BootchainError('REPRO_IMAGE_MISSING', `cannot bundle ${imagePath}: it is not a file`, 'pass the image the boot actually ran from');
  const [sha256, bundled] = await Promise.all([
    sha256File(imagePath),
    st.blocks * 512 > COMPRESS_ALLOCATED_MAX ? Promise.resolve(false) : gzipCapped(imagePath, join(out, 'image.img.gz'), BUNDLED_IMAGE_MAX),
  ]);
  const imageNote = bundled ? null : `image not carried: it compresses to more than ${BUNDLED_IMAGE_MAX} bytes; the rerun needs ${imagePath} with the same sha256`;
  if (imageNote) notes.push(imageNote);
  const routes = await bundleRoutes(input.servedRoutes, notes);
  const r = input.report;
  const bundle: ReproBundleJson = {
    format: 'bootchain-repro',
    version: 1,
    createdAt: new Date().toISOString(),
    scenario: input.scenario,
    image: { path: imagePath, sha256, sizeBytes: st.size, bundled: bundled ? 'image.img.gz' : null, note: imageNote },
    qemu: { argv: input.argv, commandLine: input.argv.map(shellQuote).join(' ') },
    options: pickOptions(input.options),
    routes,
    ledger: input.ledger,
    expectedStage: input.options.finalStage,
    verdict: r.verdict,
    failure: r.failure,
    stages: r.stages.map((s) => ({ id: s.id, status: s.status, atMs: s.atMs })),
    endedBy: r.endedBy,
    notes: [...r.notes, ...notes],
  };
  await Promise.all([
    writeFile(join(out, 'bundle.json'), JSON.stringify(bundle, null, 2) + '\n'),
    writeFile(join(out, 'console.txt'), input.consoleText),
    writeFile(join(out, 'block-trace.txt'), input.traceText),
    writeFile(join(out, 'qemu-cmdline.txt'), bundle.qemu.commandLine + '\n'),
  ]);
  await rm(tarball, { force: true });
  await runTool('tar', ['-C', root, '-czf', tarball, 'repro']);
  return { dir: out, tarball };
}
