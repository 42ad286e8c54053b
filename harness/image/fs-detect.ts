/** File-system detection by superblock magic (what blkid does, for the few types a boot disk has). */

export interface FsInfo {
  fs: 'ext2' | 'ext3' | 'ext4' | 'vfat' | 'ntfs' | 'unknown';
  /** ext block size in bytes (ext only). */
  blockSize?: number;
  label?: string;
}

const EXT_MAGIC = 0xef53;
// Features ext2/ext3 drivers understand (from blkid); anything else makes it ext4.
const EXT3_INCOMPAT_SUPP = 0x2 | 0x4 | 0x10; // filetype, recover, meta_bg
const EXT3_RO_COMPAT_SUPP = 0x1 | 0x2 | 0x4; // sparse_super, large_file, btree_dir
const HAS_JOURNAL = 0x4;

/** Detects the fs from the first 2048 bytes of a partition. */
export function detectFs(head: Buffer): FsInfo {
  if (head.length >= 2048 && head.readUInt16LE(1024 + 56) === EXT_MAGIC) {
    const sb = head.subarray(1024);
    const compat = sb.readUInt32LE(92);
    const incompat = sb.readUInt32LE(96);
    const roCompat = sb.readUInt32LE(100);
    const logBlock = sb.readUInt32LE(24);
    const label = sb.subarray(120, 136).toString('latin1').replace(/\0.*$/s, '');
    const ext4 = (incompat & ~EXT3_INCOMPAT_SUPP) !== 0 || (roCompat & ~EXT3_RO_COMPAT_SUPP) !== 0;
    const fs = ext4 ? 'ext4' : (compat & HAS_JOURNAL) !== 0 ? 'ext3' : 'ext2';
    return { fs, blockSize: logBlock < 8 ? 1024 << logBlock : 0, label };
  }
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) {
    if (head.toString('latin1', 3, 11) === 'NTFS    ') return { fs: 'ntfs' };
    if (head.toString('latin1', 0x36, 0x39) === 'FAT' || head.toString('latin1', 0x52, 0x57) === 'FAT32') return { fs: 'vfat' };
  }
  return { fs: 'unknown' };
}
