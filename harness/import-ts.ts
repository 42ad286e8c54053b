import { pathToFileURL } from 'node:url';

let tsLoader: Promise<void> | null = null;

/**
 * Imports a user's TypeScript file (scenario, image definition). From the sources (tsx) this is a plain
 * import; the bundled CLI (bin/bootchain.js sets BOOTCHAIN_BUNDLED) registers tsx before its first .ts
 * file, so start-up stays fast when no TypeScript file is needed.
 */
export async function importTs(file: string): Promise<{ default?: unknown }> {
  if (process.env.BOOTCHAIN_BUNDLED === '1') {
    tsLoader ??= import('tsx/esm/api').then((m) => void m.register());
    await tsLoader;
  }
  return (await import(pathToFileURL(file).href)) as { default?: unknown };
}
