export { Machine } from './machine.ts';
export { buildQemuArgv, escapeOptValue } from './build-argv.ts';
export { resolveMachineOptions } from './resolve-options.ts';
export { parseTraceLine, toDiskReadEvent, type TraceRead } from './trace-parse.ts';
export { registerCleanup, registerExitKill, reapAll } from './reaper.ts';
export { spawnOwned, killGroup } from './spawn-owned.ts';
export { detectInfraError } from './infra-error.ts';
export type { MachineOptions, MachineHooks, Accel, DiskBus, NicModel, NetworkMode, ResolvedMachineOptions } from './types.ts';
