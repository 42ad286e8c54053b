import type { CliIo } from './io.ts';
import { runBuild } from './build-command.ts';
import { runBoot } from './boot-command.ts';

/** `npm start`: build the default image (cached) and boot it through every stage. */
export async function runStart(args: string[], io: CliIo): Promise<number> {
  const built = await runBuild(['hypersolid-cloud'], io);
  if (built !== 0) return built;
  return runBoot(['dist/hypersolid-cloud.img', ...args], io);
}
