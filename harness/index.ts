/** bootchain's public entry: what scenario and image files may import. */
export { defineScenario } from './scenario/define.ts';
export type * from './scenario/define.ts';
export { defineImage } from './image/types.ts';
export { defineConfig } from './project/config.ts';
export type { BootchainConfig } from './project/config.ts';
export type { ImageDefinition, ImageLayout, DiskMap } from './image/types.ts';
export { STAGE_IDS } from './stages/ladder.ts';
export type { StageId, StageResult, FailureInfo, Verdict } from './stages/ladder.ts';
// bootImage (harness/boot-image.ts) is not re-exported here: it pulls in execa, whose ESM-only dependencies a
// CommonJS project's scenario files (compiled as CommonJS) cannot require. Import it from 'bootchain/boot'.
