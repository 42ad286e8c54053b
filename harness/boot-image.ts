import { basename, resolve } from 'node:path';
import { defaultChainRoutes } from './network/index.ts';
import { newArtifactsDir } from './report/artifacts.ts';
import { runBootSession, type BootSessionResult } from './scenario/boot-session.ts';
import { assertImageFile, prepareBootImage } from './scenario/prepare-image.ts';
import type { StageId } from './stages/ladder.ts';

export interface BootImageOptions {
  /** A raw or .img.gz disk image. */
  image: string;
  /** The last stage that must pass (default `chain`). */
  expect?: StageId;
  /** Overall timeout in seconds (default 120). */
  timeoutS?: number;
  /** Where the run's artifacts go (default: a fresh folder under artifacts/ or $BOOTCHAIN_ARTIFACTS). */
  artifactsDir?: string;
  /** `private` (default): the boot's own network namespace; `user`: QEMU user networking. */
  network?: 'private' | 'user';
  signal?: AbortSignal;
}

/**
 * Boots an image as `bootchain boot IMAGE` does (default stub routes, time warp, the private network) and
 * returns the session's result (verdict, stages, failure, report). Everything it starts is closed before it
 * returns or throws.
 */
export async function bootImage(o: BootImageOptions): Promise<BootSessionResult> {
  assertImageFile(o.image);
  const marker = `BOOTCHAIN-MARKER-${Date.now().toString(36)}`;
  const routes = defaultChainRoutes(marker);
  const artifactsDir = o.artifactsDir ? resolve(o.artifactsDir) : await newArtifactsDir(undefined, basename(o.image));
  const prepared = await prepareBootImage(o.image, { workDir: artifactsDir });
  return runBootSession({
    image: prepared.image,
    diskMap: prepared.map,
    machine: { accel: 'tcg', smbiosSerial: 'BOOTCHAIN-0001' },
    routes,
    bootfile: '/boot.ipxe',
    network: o.network === 'user' ? { mode: 'user' } : { mode: 'private', hosts: [] },
    finalStage: o.expect ?? 'chain',
    overallTimeoutMs: (o.timeoutS ?? 120) * 1000,
    scriptSource: prepared.scriptSource,
    promptWaitMs: prepared.promptWaitMs,
    artifactsDir,
    marker,
    meta: { image: resolve(o.image), scenario: null, notes: prepared.notes, lint: prepared.lint },
    ...(o.signal ? { signal: o.signal } : {}),
  });
}
