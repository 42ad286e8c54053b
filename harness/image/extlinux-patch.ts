import { BootchainError } from '../errors.ts';
import { LDLINUX_MAGIC, type ExtlinuxTemplates } from './syslinux-templates.ts';

const SECTOR = 512;
/** The ADV: two 512-byte copies after ldlinux.sys's code (libinstaller/setadv.c). */
export const ADV_SIZE = 512;
const ADV_MAGIC1 = 0x5a2d2fa5;
const ADV_MAGIC2 = 0xa3041767;
const ADV_MAGIC3 = 0xdd28bf64;

/** An empty ADV (both copies), as `extlinux --install` writes on a fresh install (syslinux_reset_adv). */
export function emptyAdv(): Buffer {
  const one = Buffer.alloc(ADV_SIZE);
  one.writeUInt32LE(ADV_MAGIC1, 0);
  // Checksum: ADV_MAGIC2 minus the sum of the (all-zero) data dwords.
  one.writeUInt32LE(ADV_MAGIC2, 4);
  one.writeUInt32LE(ADV_MAGIC3, ADV_SIZE - 4);
  return Buffer.concat([one, one]);
}

/** Geometry fields extlinux puts into the boot sector's fake FAT header. */
export interface BootGeometry {
  /** Partition size in sectors (bsSectors when < 65536, and bsHugeSectors). */
  totalSectors: number;
  /** The partition's first LBA (bsHiddenSecs); extlinux takes it from the loop device's offset. */
  hiddenSectors: number;
  /** extlinux's fallback when the device has no geometry (a loop device): 64 heads, 32 sectors. */
  heads: number;
  sectorsPerTrack: number;
}

export const LOOP_GEOMETRY = { heads: 64, sectorsPerTrack: 32 } as const;

export interface PatchInput {
  templates: Pick<ExtlinuxTemplates, 'bootSector' | 'ldlinuxSys'>;
  /** Partition-relative LBA of every 512-byte sector of the installed ldlinux.sys, ADV sectors included. */
  sectors: number[];
  /** The install directory relative to the file system's root ("/extlinux"). */
  subdir: string;
  geometry: BootGeometry;
}

export interface PatchedInstall {
  /** The partition's first sector. */
  bootSector: Buffer;
  /** The whole ldlinux.sys file: patched code + the ADV. */
  ldlinuxSys: Buffer;
}

/** Extents of ldlinux.sys after its first sector, as libinstaller/syslxmod.c generate_extents() merges them. */
function writeExtents(img: Buffer, at: number, max: number, sectors: number[]): void {
  img.fill(0, at, at + max * 10);
  let addr = 0x8000; // where ldlinux.sys is loaded
  let base = addr;
  let len = 0;
  let lba = 0;
  let n = 0;
  const put = () => {
    if (n >= max) throw new BootchainError('EXTLINUX_PATCH', `ldlinux.sys needs more than the ${max} sector extents its patch area holds`, 'the file is too fragmented; rebuild (the builder writes it contiguously)');
    img.writeBigUInt64LE(BigInt(lba), at + n * 10);
    img.writeUInt16LE(len, at + n * 10 + 8);
    n++;
  };
  for (const sect of sectors) {
    if (len) {
      const xbytes = (len + 1) * SECTOR;
      if (sect === lba + len && xbytes < 65536 && ((addr ^ (base + xbytes - 1)) & 0xffff0000) === 0) {
        len++;
        addr += SECTOR;
        continue;
      }
      put();
    }
    base = addr;
    lba = sect;
    len = 1;
    addr += SECTOR;
  }
  if (len) put();
}

/**
 * What `extlinux --install` writes for ext2/3/4 (extlinux/main.c patch_file_and_bootblock and
 * libinstaller/syslxmod.c syslinux_patch, SYSLINUX 6.04): the boot sector template with geometry, hidden
 * sectors and the LBA of ldlinux.sys's first sector; ldlinux.sys with its extents, ADV pointers, install
 * directory and checksum in the patch area, followed by an empty ADV.
 */
export function patchExtlinux(input: PatchInput): PatchedInstall {
  const { geometry: g } = input;
  const bs = Buffer.from(input.templates.bootSector);
  const img = Buffer.from(input.templates.ldlinuxSys);
  const nsect = img.length / SECTOR + 2;
  if (!Number.isInteger(nsect - 2)) throw new BootchainError('EXTLINUX_PATCH', `ldlinux.sys template is ${img.length} bytes, not a multiple of 512`, 'the extlinux templates were not read correctly');
  if (input.sectors.length < nsect) throw new BootchainError('EXTLINUX_PATCH', `ldlinux.sys is mapped to ${input.sectors.length} sectors, it needs ${nsect}`, 'the file in the image is shorter than ldlinux.sys + ADV');

  // Fake FAT header fields (main.c): sector count, bytes per sector, geometry, hidden sectors.
  bs.writeUInt16LE(g.totalSectors >= 65536 ? 0 : g.totalSectors, 19); // bsSectors
  bs.writeUInt32LE(g.totalSectors, 32); // bsHugeSectors
  bs.writeUInt16LE(SECTOR, 11); // bsBytesPerSec
  bs.writeUInt16LE(g.sectorsPerTrack, 24); // bsSecPerTrack
  bs.writeUInt16LE(g.heads, 26); // bsHeads
  bs.writeUInt32LE(g.hiddenSectors, 28); // bsHiddenSecs

  let pa = 0;
  while (pa + 4 <= img.length && img.readUInt32LE(pa) !== LDLINUX_MAGIC) pa += 4;
  if (pa + 4 > img.length) throw new BootchainError('EXTLINUX_PATCH', 'ldlinux.sys template has no patch area (magic 0x3eb202fe)', 'the extlinux templates were not read correctly');
  // struct patch_area: magic, instance, data_sectors, adv_sectors, dwords, checksum, maxtransfer, epaoffset
  const epa = img.readUInt16LE(pa + 22);
  // struct ext_patch_area: advptroffset, diroffset, dirlen, subvoloffset, subvollen, secptroffset, secptrcnt, sect1ptr0, sect1ptr1, raidpatch
  const f = (i: number) => img.readUInt16LE(epa + i * 2);
  const [advptroffset, diroffset, dirlen, , , secptroffset, secptrcnt, sect1ptr0, sect1ptr1] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(f) as number[];
  const sectors = input.sectors.slice(0, nsect);
  const first = sectors[0]!;
  bs.writeUInt32LE(first % 2 ** 32, sect1ptr0!);
  bs.writeUInt32LE(Math.floor(first / 2 ** 32), sect1ptr1!);
  const rest = sectors.slice(1);

  const dw = img.length >> 2;
  img.writeUInt16LE(nsect - 2, pa + 8); // data_sectors, ADVs excluded
  img.writeUInt16LE(2, pa + 10); // adv_sectors
  img.writeUInt32LE(dw, pa + 12); // dwords
  writeExtents(img, secptroffset!, secptrcnt!, rest.slice(0, nsect - 1 - 2));
  img.writeBigUInt64LE(BigInt(rest[nsect - 1 - 2]!), advptroffset!);
  img.writeBigUInt64LE(BigInt(rest[nsect - 1 - 1]!), advptroffset! + 8);
  const dir = Buffer.from(`${input.subdir}\0`, 'latin1');
  if (dir.length > dirlen!) throw new BootchainError('EXTLINUX_PATCH', `install directory ${input.subdir} is longer than the ${dirlen! - 1} bytes ldlinux.sys holds`, 'use a shorter directory');
  dir.copy(img, diroffset!);

  img.writeUInt32LE(0, pa + 16);
  let csum = LDLINUX_MAGIC;
  for (let i = 0; i < dw; i++) csum = (csum - img.readUInt32LE(i * 4)) >>> 0;
  img.writeUInt32LE(csum, pa + 16);
  return { bootSector: bs, ldlinuxSys: Buffer.concat([img, emptyAdv()]) };
}
