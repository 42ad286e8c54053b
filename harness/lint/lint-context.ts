import type { DiskReader, PartitionTable } from '../image/partition-table.ts';
import type { DiskMap, PartitionInfo } from '../image/types.ts';

/** Everything the checks share: the image, its map, a reader and the parsed table. */
export interface LintContext {
  image: string;
  map: DiskMap;
  reader: DiskReader;
  table: PartitionTable;
  /** The partition BIOS boot code will pick (first bootable), if any. */
  boot: PartitionInfo | undefined;
}
