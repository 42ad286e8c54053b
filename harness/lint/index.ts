/** Public entry of the lint area: static checks of boot images. */
export { lintImage } from './lint-image.ts';
export { formatLintFindings } from './format-findings.ts';
export type { LintFinding, LintReport, LintSeverity } from './types.ts';
export { inspectLkrn, type LkrnInfo } from './ipxe-lkrn.ts';
export { parsePatchArea, syslinuxVersion } from './syslinux-install.ts';
