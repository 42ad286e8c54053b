import { formatError } from '../errors.ts';
import { formatLintFindings, lintImage } from '../lint/index.ts';
import { rawImageFor } from '../scenario/prepare-image.ts';

const USAGE = 'usage: bootchain lint IMAGE [--json]   (exit 0 no errors, 1 errors found, 2 bad input)';

/** `bootchain lint IMAGE [--json]`: static checks of a raw disk image. */
export async function runLint(args: string[], io: { out(s: string): void; err(s: string): void }): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  const bad = rest.find((a) => a.startsWith('-'));
  if (bad || rest.length !== 1) {
    io.err(`error: ${bad ? `unknown option ${bad}` : rest.length === 0 ? 'missing IMAGE' : `expected one IMAGE, got ${rest.length}`}\n${USAGE}`);
    return 2;
  }
  try {
    // Same input rules as boot: a missing, empty or directory path is bad input; .img.gz works too.
    const report = await lintImage(await rawImageFor(rest[0]!));
    io.out(json ? JSON.stringify(report, null, 2) : formatLintFindings(report));
    return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
  } catch (e) {
    io.err(formatError(e));
    return 2;
  }
}
