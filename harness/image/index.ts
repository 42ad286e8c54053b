/** Public entry of the image area: build, inspect and map disk images. */
export { buildImage, BUILDERS, DEFAULT_IMAGE, type Builder, type BuildOptions, type BuildResult } from './build-image.ts';
export { inspectImage, SYSLINUX_DIRS } from './inspect-image.ts';
export { findFileRegion, readMappedFile } from './read-mapped-file.ts';
export { listImages, loadImage, type ImageFile, type LoadedImage } from './image-def.ts';
export { DEFAULT_LAYOUT, planPartitions, resolveLayout, validateLayout, type PartitionPlan } from './layout.ts';
export { parsePartitionTable, bufferReader, openFileReader, type DiskReader, type PartitionTable } from './partition-table.ts';
export { HOST_TOOLS, requireTool, findTool } from './host-tools.ts';
export { formatLayoutTable } from './layout-table.ts';
export type { CheckResult } from './self-check.ts';
export { defineImage } from './types.ts';
export type { DiskMap, ImageDefinition, ImageLayout, Region, ByteRange, PartitionInfo } from './types.ts';
