import type { DiskMap } from './types.ts';

const GPT_CODES: Record<string, string> = {
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': '8300',
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'EF00',
  '21686148-6449-6E6F-744E-656564454649': 'EF02',
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': '8200',
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7': '0700',
};

function size(sectors: number): string {
  const mib = (sectors * 512) / 1048576;
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(1)} MiB`;
}

/** The partition table as text, laid out like `sgdisk -p`, plus fs and boot flag columns. */
export function formatLayoutTable(map: DiskMap): string[] {
  const sectors = Math.floor(map.sizeBytes / 512);
  const lines = [
    `Disk ${map.image}: ${sectors} sectors, ${size(sectors)}`,
    `Partition table: ${map.partitionTable}`,
    'Number  Start (sector)    End (sector)  Size       Code  Name                  FS     Flags',
  ];
  for (const p of map.partitions) {
    const code = GPT_CODES[p.typeGuid] ?? (p.typeGuid.startsWith('0x') ? p.typeGuid : p.typeGuid.slice(0, 8));
    const flags = p.legacyBiosBootable ? (map.partitionTable === 'gpt' ? 'legacy BIOS bootable' : 'active') : '';
    lines.push(
      `${String(p.number).padStart(4)}  ${String(p.firstLba).padStart(14)}  ${String(p.lastLba).padStart(14)}   ${size(p.lastLba - p.firstLba + 1).padEnd(10)} ${code.padEnd(5)} ${p.name.padEnd(21)} ${p.fs.padEnd(6)} ${flags}`.trimEnd(),
    );
  }
  return lines;
}
