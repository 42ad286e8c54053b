/** A byte range on the disk: [start, end) in absolute disk bytes. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RegionKind = 'mbr' | 'gpt-header' | 'gpt-entries' | 'vbr' | 'file';

/** One thing on disk whose reads tell us which boot stage is running. */
export interface Region {
  /** e.g. "mbr", "gpt-header", "gpt-entries", "vbr", "/extlinux/ldlinux.sys" */
  name: string;
  kind: RegionKind;
  /** Partition number (1-based) for vbr and files. */
  partition?: number;
  /** For files: the path inside the file system and its size in bytes. */
  path?: string;
  size?: number;
  /** Absolute disk byte ranges, in file order for files (first range = first bytes of the file). */
  ranges: ByteRange[];
}

export interface PartitionInfo {
  number: number;
  name: string;
  /** GPT type GUID (upper case) */
  typeGuid: string;
  uniqueGuid: string;
  firstLba: number;
  lastLba: number;
  /** GPT attribute bits as a decimal string of the 64-bit value */
  attributes: string;
  legacyBiosBootable: boolean;
  /** Detected file system: 'ext2' | 'ext3' | 'ext4' | 'vfat' | 'unknown' */
  fs: string;
}

/**
 * Where every boot-relevant byte of an image lies. Written next to each built image as
 * `<name>.map.json`, and derived by `inspectImage()` from any image for `boot`.
 */
export interface DiskMap {
  version: 1;
  image: string;
  sizeBytes: number;
  sectorSize: 512;
  partitionTable: 'gpt' | 'mbr' | 'none';
  partitions: PartitionInfo[];
  /** The partition SYSLINUX boots from (legacy-BIOS-bootable in GPT, active in MBR), if any. */
  bootPartition: number | null;
  /** Directory in the boot partition that holds ldlinux.sys (e.g. "/extlinux"), if found. */
  syslinuxDir: string | null;
  regions: Region[];
  /** Why parts of the map are missing (e.g. "partition 1 is not ext2/3/4"), empty when complete. */
  notes: string[];
  /** The boot chain detected from the image's bytes (absent in maps written before chain detection). */
  chain?: ChainInfo;
}

export type MbrCodeKind = 'gptmbr' | 'mbr' | 'altmbr' | 'isohdpfx' | 'grub-boot' | 'zero' | 'unknown';

/** The BIOS boot chain of an image: which ladder judges its boot. */
export interface ChainInfo {
  /** The code in the first 440 bytes, and how it was identified (identical host file, or its messages). */
  mbrCode: { kind: MbrCodeKind; how: string; file?: string };
  scheme: 'gpt' | 'mbr' | 'iso-hybrid' | 'none';
  loader: { kind: 'extlinux' | 'syslinux-fat' | 'isolinux' | 'grub' | 'none' | 'unknown'; where?: string };
  /** The loader's configuration file (path in its file system), when mapped. */
  config?: string;
  /** The kernel the configuration boots (its default label's LINUX/KERNEL), when it could be read. */
  kernel?: string;
  /** The ladder (harness/stages/chains) that judges this chain. */
  ladder: 'syslinux' | 'isolinux-hybrid' | 'grub' | 'unknown';
}

/**
 * Which BIOS boot chain the builder lays down (every one ends in iPXE's ipxe.lkrn):
 * - `gpt-extlinux` (the seed's): GPT, gptmbr.bin, EXTLINUX on ext2 in /extlinux
 * - `mbr-extlinux`: DOS partition table, SYSLINUX mbr.bin, p1 active, EXTLINUX on ext2 in /extlinux
 * - `mbr-syslinux-fat`: DOS partition table, mbr.bin, p1 active FAT16, SYSLINUX in /syslinux (syslinux.cfg)
 * - `grub-bios`: DOS partition table, GRUB 2 boot.img + core.img in the post-MBR gap, /boot/grub on ext2
 */
export type BootChain = 'gpt-extlinux' | 'mbr-extlinux' | 'mbr-syslinux-fat' | 'grub-bios';

/** The layout of an image definition (defaults match the seed). */
export interface ImageLayout {
  /** Boot chain (default `gpt-extlinux`, the seed's). */
  chain: BootChain;
  /** Whole disk size in MiB (default 512). */
  diskMiB: number;
  /** Boot partition size in MiB (default 10). */
  bootMiB: number;
  bootName: string;
  confName: string;
  /** `vfat` (FAT16) only with chain `mbr-syslinux-fat`, which also defaults to it. */
  bootFs: 'ext2' | 'ext3' | 'ext4' | 'vfat';
  confFs: 'ext2' | 'ext3' | 'ext4';
}

/** Typed image definition, `images/<name>/image.ts` default export (optional). */
export interface ImageDefinition {
  description?: string;
  layout?: Partial<ImageLayout>;
}

/** Identity function that gives image definitions their types. */
export function defineImage(def: ImageDefinition): ImageDefinition {
  return def;
}
