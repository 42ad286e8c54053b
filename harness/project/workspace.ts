import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { projectRoot } from '../project-root.ts';
import type { ResolvedConfig } from './config.ts';

/**
 * Where this process reads scenarios and image definitions and writes artifacts, built images and caches.
 * Without a project config: bootchain's own scenarios and images, everything else relative to the current
 * directory (a checkout of bootchain). With one (`bootchain.config.ts` found from the cwd upwards): the
 * project's folders, and caches under $XDG_CACHE_HOME/bootchain — never inside the installed package.
 */
export interface Workspace {
  config: ResolvedConfig | null;
  scenariosDir: string;
  /** The project's image definitions (looked up before bootchain's own), or null. */
  imagesDir: string | null;
  artifactsDir: string;
  distDir: string;
  cacheDir: string;
}

/** bootchain's own scenarios, runnable from any project as `bootchain:NAME`. */
export const EXAMPLE_PREFIX = 'bootchain:';

let active: Workspace | null = null;

/** The shared cache of a user's machine: $BOOTCHAIN_CACHE, else $XDG_CACHE_HOME/bootchain, else ~/.cache/bootchain. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['BOOTCHAIN_CACHE']) return resolve(env['BOOTCHAIN_CACHE']);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'bootchain');
}

/** Switches this process to a project's config (the CLI does this once, before any command runs). */
export function useConfig(config: ResolvedConfig | null): Workspace {
  active = config
    ? {
        config,
        scenariosDir: config.scenariosDir,
        imagesDir: config.imagesDir,
        // BOOTCHAIN_ARTIFACTS still wins (CI and tests point runs elsewhere).
        artifactsDir: resolve(process.env['BOOTCHAIN_ARTIFACTS'] ?? config.artifactsDir),
        distDir: config.distDir,
        cacheDir: userCacheDir(),
      }
    : null;
  return workspace();
}

/** The active workspace (see Workspace). */
export function workspace(): Workspace {
  if (active) return active;
  return {
    config: null,
    scenariosDir: resolve(projectRoot(), 'scenarios'),
    imagesDir: null,
    artifactsDir: resolve(process.env['BOOTCHAIN_ARTIFACTS'] ?? 'artifacts'),
    distDir: resolve('dist'),
    // A checkout of bootchain keeps its cache in .cache; anywhere else the user's cache folder.
    cacheDir: process.env['BOOTCHAIN_CACHE'] ? resolve(process.env['BOOTCHAIN_CACHE']) : resolve(process.cwd()) === projectRoot() ? resolve('.cache') : userCacheDir(),
  };
}

/** bootchain's own scenarios folder (the examples). */
export function exampleScenariosDir(): string {
  return resolve(projectRoot(), 'scenarios');
}

/**
 * The image-definition folder for image NAME of a scenario: the project's when it holds NAME, else bootchain's
 * own; undefined without a project config (the builder's default: ./images, else bootchain's).
 */
export function imagesDirFor(name: string, example: boolean): string | undefined {
  const ws = workspace();
  if (!ws.config) return undefined;
  if (!example && ws.imagesDir && existsSync(join(ws.imagesDir, name))) return ws.imagesDir;
  return packageImagesDir();
}

/** bootchain's own image definitions. */
export function packageImagesDir(): string {
  return resolve(projectRoot(), 'images');
}
