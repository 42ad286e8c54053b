import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

let tsLoader: Promise<void> | null = null;

/** Whether the nearest package.json above `file` says `"type": "module"`. */
function inEsmPackage(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/**
 * Imports a user's TypeScript file (config, scenario, image definition). In an ESM package (bootchain's own,
 * a `"type": "module"` project) it is a plain import through tsx's loader, registered once (the bundled CLI
 * starts without it). Elsewhere (a fresh `npm init` project is CommonJS) tsx's `tsImport` compiles the file as
 * CommonJS in a namespace of its own; its default export comes back as `default` either way.
 */
export async function importTs(file: string): Promise<{ default?: unknown }> {
  if (inEsmPackage(file)) {
    if (process.env.BOOTCHAIN_BUNDLED === '1') {
      tsLoader ??= import('tsx/esm/api').then((m) => void m.register());
      await tsLoader;
    }
    return (await import(pathToFileURL(file).href)) as { default?: unknown };
  }
  const { tsImport } = await import('tsx/esm/api');
  const mod = (await tsImport(file, import.meta.url)) as { default?: unknown };
  // module.exports arrives as `default`, with the file's own default export inside it.
  const d = mod.default;
  if (d !== null && typeof d === 'object' && 'default' in d) return { default: (d as { default: unknown }).default };
  return mod;
}
