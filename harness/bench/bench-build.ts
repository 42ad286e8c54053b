import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { buildImage } from '../image/index.ts';
import { median, ms, ratio, table, timed } from './stats.ts';

// The seed's entrypoint (sgdisk, mkfs, loop mount, extlinux --install, cp), run by hand: the baseline.
const SEED_RECIPE = `set -e
img="$1"; mnt="$2"; src="$3"
truncate -s 512M "$img"
sgdisk --clear --new 1::+10M --typecode=1:8300 --change-name=1:boot --attributes=1:set:2 --new 2::-0 --typecode=2:8300 --change-name=2:conf "$img" >/dev/null
dd if=/usr/lib/syslinux/mbr/gptmbr.bin of="$img" bs=440 count=1 conv=notrunc status=none
mke2fs -q -t ext2 -E offset=1048576 "$img" 10240k
mke2fs -q -t ext4 -E offset=11534336 "$img" 512500k
mount -o loop,offset=1048576,sizelimit=10485760,noatime "$img" "$mnt"
trap 'umount "$mnt" 2>/dev/null || true' EXIT
mkdir -p "$mnt/extlinux"
extlinux --install "$mnt/extlinux" 2>/dev/null
cp "$src/extlinux.conf" /usr/lib/ipxe/ipxe.lkrn "$mnt/extlinux/"
umount "$mnt"; trap - EXIT
`;

/** Cold build, cache hit and gzip, each against a baseline measured now on this machine. */
export async function benchBuild(log: (s: string) => void, runs = 3): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bootchain-bench-build-'));
  try {
    const script = join(dir, 'seed.sh');
    await writeFile(script, SEED_RECIPE);
    await chmod(script, 0o755);
    const mnt = join(dir, 'mnt');
    await execa('mkdir', ['-p', mnt]);
    const seed: number[] = [];
    for (let i = 0; i < runs; i++) {
      seed.push((await timed(() => execa('bash', [script, join(dir, `seed${i}.img`), mnt, resolve('images/hypersolid-cloud/extlinux')]))).ms);
      await rm(join(dir, `seed${i}.img`), { force: true });
    }
    const cold: number[] = [];
    const loop: number[] = [];
    const dist = join(dir, 'dist');
    const canLoop = process.getuid?.() === 0;
    // Interleaved, so a load change on the shared machine hits both builders alike.
    for (let i = 0; i < runs; i++) {
      if (canLoop) loop.push((await timed(() => buildImage({ name: 'hypersolid-cloud', distDir: join(dir, 'dist-loop'), noCache: true, gzip: false, builder: 'loop' }))).ms);
      cold.push((await timed(() => buildImage({ name: 'hypersolid-cloud', distDir: dist, noCache: true, gzip: false }))).ms);
    }
    const hit: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await timed(() => buildImage({ name: 'hypersolid-cloud', distDir: dist, gzip: false }));
      if (!r.value.cached) throw new Error('bench: the second build was not a cache hit');
      hit.push(r.ms);
    }
    const img = join(dist, 'hypersolid-cloud.img');
    const gz = (await timed(() => execa('sh', ['-c', `gzip -c "$1" > "$2"`, 'sh', img, join(dir, 'g.gz')]))).ms;
    const pigz = (await timed(() => execa('sh', ['-c', `pigz -c "$1" > "$2"`, 'sh', img, join(dir, 'p.gz')]))).ms;
    const s = median(seed);
    log('## image build (default image, 512 MiB, no gzip)');
    log(
      table(
        ['what', 'median', 'vs seed recipe'],
        [
          ["seed's own recipe (sgdisk, mkfs, mount, extlinux) — baseline", ms(s), '1.00×'],
          ...(canLoop ? [['bootchain build --builder loop, cold (mount + real extlinux; + self-check, map, sha256)', ms(median(loop)), ratio(median(loop), s)]] : []),
          ['bootchain build, cold, rootless (default; + self-check, map, sha256)', ms(median(cold)), ratio(median(cold), s)],
          ['bootchain build, cache hit', ms(median(hit)), ratio(median(hit), s)],
        ],
      ),
    );
    log(canLoop ? `rootless vs loop builder: ${ratio(median(cold), median(loop))} (goal ≤ 1.00×; runs rootless ${cold.map(ms).join(', ')}; loop ${loop.map(ms).join(', ')})` : 'loop builder: not measured (needs root)');
    log('');
    log(table(['gzip of the image', 'time', 'vs gzip'], [['gzip -6 (baseline)', ms(gz), '1.00×'], ['pigz (what bootchain uses)', ms(pigz), ratio(pigz, gz)]]));
  } finally {
    await execa('sh', ['-c', `umount "$1" 2>/dev/null; true`, 'sh', join(dir, 'mnt')]);
    await rm(dir, { recursive: true, force: true });
  }
}
