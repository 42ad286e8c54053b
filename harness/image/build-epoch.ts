import { BootchainError } from '../errors.ts';

/**
 * Every timestamp in a built image when SOURCE_DATE_EPOCH is not set: 2020-01-01T00:00:00Z. A constant,
 * not the input files' mtimes (a fresh clone or checkout gives them the time of the clone).
 */
export const DEFAULT_EPOCH = 1577836800;

/** The build's clock: SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/) or DEFAULT_EPOCH. */
export function buildEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw === '') return DEFAULT_EPOCH;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 0xffffffff) {
    throw new BootchainError('BAD_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 (at most 10 digits), got \`${raw}\``, `e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it (default ${DEFAULT_EPOCH}, 2020-01-01)`);
  }
  return Number(raw);
}
