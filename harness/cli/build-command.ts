import { parseArgs } from 'node:util';
import { BootchainError, formatError, isBootchainError } from '../errors.ts';
import { buildImage, BUILDERS, DEFAULT_IMAGE, type Builder } from '../image/build-image.ts';
import { formatLayoutTable } from '../image/layout-table.ts';
import { imagesDirFor, workspace } from '../project/workspace.ts';

export const BUILD_USAGE = 'usage: bootchain build [NAME] [--no-cache] [--no-gzip|--gzip] [--images DIR] [--dist DIR] [--builder rootless|loop]';

function parseBuildArgs(args: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'no-cache': { type: 'boolean' },
        'no-gzip': { type: 'boolean' },
        gzip: { type: 'boolean' },
        images: { type: 'string' },
        dist: { type: 'string' },
        builder: { type: 'string' },
      },
    });
    if (positionals.length > 1) throw new Error(`expected at most one image name, got ${positionals.join(' ')}`);
    if (values.gzip && values['no-gzip']) throw new Error('--gzip and --no-gzip exclude each other');
    if (values.builder !== undefined && !(BUILDERS as readonly string[]).includes(values.builder)) throw new Error(`--builder must be one of ${BUILDERS.join(', ')}, got \`${values.builder}\``);
    return { values, name: positionals[0] ?? DEFAULT_IMAGE };
  } catch (e) {
    throw new BootchainError('BAD_ARGS', `bootchain build: ${(e as Error).message}`, BUILD_USAGE);
  }
}

/** `bootchain build [NAME] …`: builds and self-checks an image; 0 ok, 2 on a BootchainError. */
export async function runBuild(args: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  try {
    const { values, name } = parseBuildArgs(args);
    io.out(`bootchain build ${name}`);
    const r = await buildImage(
      {
        name,
        noCache: values['no-cache'] === true,
        ...(values.images ? { imagesDir: values.images } : imagesDirFor(name, false) ? { imagesDir: imagesDirFor(name, false)! } : {}),
        ...(values.dist ? { distDir: values.dist } : workspace().config ? { distDir: workspace().distDir } : {}),
        ...(values.builder ? { builder: values.builder as Builder } : {}),
        ...(values['no-gzip'] ? { gzip: false } : values.gzip ? { gzip: true } : {}),
      },
      (line) => io.out(line),
    );
    io.out('');
    for (const l of formatLayoutTable(r.map)) io.out(l);
    io.out('');
    if (r.cached) {
      for (const n of r.notices) io.out(n);
      io.out(`cache hit: inputs unchanged since the last build (self-check passed then); ${r.ms.toFixed(0)} ms`);
    } else {
      io.out('self-check:');
      for (const c of r.checks) io.out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(16)} ${c.detail}`);
      io.out(`built in ${r.ms.toFixed(0)} ms (${r.builder} builder)`);
    }
    io.out(`image: ${r.imagePath}`);
    io.out(`map:   ${r.mapPath}`);
    if (r.gzPath) io.out(`gzip:  ${r.gzPath}`);
    io.out(`sha256: ${r.sha256}  ${r.imagePath}`);
    if (r.gzSha256) io.out(`sha256: ${r.gzSha256}  ${r.gzPath}`);
    return 0;
  } catch (e) {
    if (!isBootchainError(e)) throw e;
    io.err(formatError(e));
    return 2;
  }
}
