import { openSync, readSync, closeSync } from 'node:fs';
import { BootchainError } from '../errors.ts';
import { runTool } from '../run-tool.ts';

/** The disk GUID sgdisk prints ("Disk identifier (GUID): …"). */
async function diskGuid(disk: string): Promise<string | null> {
  const r = await runTool('sgdisk', ['-p', disk], { reject: false });
  return /Disk identifier \(GUID\): (\S+)/.exec(String(r.stdout))?.[1] ?? null;
}

/**
 * Deploys a built image the seed's way: `gzip -d -c IMG.gz | dd` onto a sparse disk of `diskBytes`, then
 * `sgdisk -G` (moves the backup GPT to the end, new GUIDs). Verified by sgdisk's own verify text — not its
 * exit code, which is 0 even when it reports problems —, the backup header at the disk's last sector and
 * GUIDs that changed. Returns the disk.
 */
export async function deployImage(gz: string, disk: string, diskBytes: number, log: (l: string) => void = () => {}): Promise<string> {
  await runTool('truncate', ['-s', String(diskBytes), disk]);
  await runTool('bash', ['-o', 'pipefail', '-c', 'gzip -d -c "$1" | dd of="$2" bs=4M conv=notrunc,sparse status=none', 'deploy', gz, disk]);
  const before = await diskGuid(disk);
  const g = await runTool('sgdisk', ['-G', disk], { reject: false, all: true });
  if (g.exitCode !== 0) throw new BootchainError('DEPLOY_FAILED', `sgdisk -G ${disk} failed: ${String(g.all).trim()}`, 'check the image is a GPT disk (bootchain lint)');
  const verify = String((await runTool('sgdisk', ['-v', disk], { reject: false })).stdout);
  if (!/No problems found/.test(verify)) throw new BootchainError('DEPLOY_VERIFY_FAILED', `after sgdisk -G, sgdisk -v reports problems on ${disk}: ${verify.trim().split('\n').slice(0, 6).join(' | ')}`, 'the deployed disk is not a clean GPT: see sgdisk -v');
  const last = Buffer.alloc(8);
  const fd = openSync(disk, 'r');
  try {
    readSync(fd, last, 0, 8, diskBytes - 512);
  } finally {
    closeSync(fd);
  }
  if (last.toString('latin1') !== 'EFI PART') throw new BootchainError('DEPLOY_VERIFY_FAILED', `no backup GPT header at the last sector of ${disk} (LBA ${diskBytes / 512 - 1}) after sgdisk -G`, 'sgdisk -G should move it there: check the sgdisk version');
  const after = await diskGuid(disk);
  if (!after || after === before) throw new BootchainError('DEPLOY_VERIFY_FAILED', `sgdisk -G did not give ${disk} a new disk GUID (${before} → ${after})`, 'check the sgdisk version');
  log(`  deployed onto a ${(diskBytes / 2 ** 30).toFixed(0)} GiB sparse disk: sgdisk -v: No problems found; backup GPT at LBA ${diskBytes / 512 - 1}; disk GUID ${before} → ${after}`);
  return disk;
}
