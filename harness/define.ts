// The light entry for scenario, image and config files (`import { defineScenario } from 'bootchain/define'`):
// only the define* helpers and their types. The full library (harness/index.ts) pulls in every module, which
// every scenario file would otherwise load again through the TypeScript loader (~0.15 s each).
export { defineScenario } from './scenario/define.ts';
export type * from './scenario/define.ts';
export { defineImage } from './image/types.ts';
export { defineConfig } from './project/define-config.ts';
