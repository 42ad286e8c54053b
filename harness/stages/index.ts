export { StageTracker, DEFAULT_STAGE_MS, stageTitle, type TrackerOptions, type TrackerResult } from './tracker.ts';
export { formatStageTable, formatStageRow } from './stage-table.ts';
export { matchFailure, FAILURE_CATALOG, type FailureDef, type FailureMatch } from './failure-catalog.ts';
export { decodeIpxeError, KNOWN_IPXE_ERRORS, type DecodedIpxeError } from './ipxe-errors.ts';
export type { StageDef, ScriptSource } from './stage-evidence.ts';
export * from './ladder.ts';
