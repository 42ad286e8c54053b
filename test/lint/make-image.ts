import { mkdtemp, mkdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const P1 = 1048576;

export interface TestImageOptions {
  config?: string;
  script?: string;
  /** Replaces ipxe.lkrn: host path to copy. */
  kernel?: string;
  /** Replaces ldlinux.c32 after install: host path to copy. */
  ldlinuxC32?: string;
}

export const SEED_CONFIG = 'DEFAULT ipxe\n  SAY booting iPXE from SYSLINUX\nLABEL ipxe\n  LINUX ipxe.lkrn\n  INITRD ipxe.conf\n';
export const SEED_SCRIPT = '#!ipxe\necho booting LINUX from iPXE\ndhcp\nchain http://ipxe1.example.org/myconfig.ipxe?serial=${serial}\n';

/** Builds a small seed-like image (GPT, gptmbr, ext2 p1 with extlinux) as root in `dir`. */
export async function makeTestImage(dir: string, name: string, o: TestImageOptions = {}): Promise<string> {
  const img = join(dir, `${name}.img`);
  await execa('truncate', ['-s', '32M', img]);
  await execa('sfdisk', ['-q', img], { input: 'label: gpt\nstart=2048, size=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot, attrs="LegacyBIOSBootable"\nstart=22528, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=conf\n' });
  await execa('dd', ['if=/usr/lib/syslinux/mbr/gptmbr.bin', `of=${img}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none']);
  await execa('mke2fs', ['-q', '-F', '-t', 'ext2', '-E', `offset=${P1}`, img, '10240k']);
  const mnt = await mkdtemp(join(dir, 'mnt-'));
  await execa('mount', ['-o', `loop,offset=${P1},sizelimit=10485760,noatime`, img, mnt]);
  try {
    const ex = join(mnt, 'extlinux');
    await mkdir(ex);
    await execa('extlinux', ['--install', ex], { reject: false });
    await copyFile(o.kernel ?? '/usr/lib/ipxe/ipxe.lkrn', join(ex, 'ipxe.lkrn'));
    await writeFile(join(ex, 'extlinux.conf'), o.config ?? SEED_CONFIG);
    await writeFile(join(ex, 'ipxe.conf'), o.script ?? SEED_SCRIPT);
    if (o.ldlinuxC32) await copyFile(o.ldlinuxC32, join(ex, 'ldlinux.c32'));
  } finally {
    await execa('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  }
  return img;
}

/** A temp dir removed by `close()`. */
export async function makeTempDir(): Promise<{ dir: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'h4-lint-'));
  return { dir, close: () => rm(dir, { recursive: true, force: true }) };
}

/** Overwrites bytes of an image at an absolute offset. */
export async function patchImage(img: string, offset: number, bytes: Buffer): Promise<void> {
  const { open } = await import('node:fs/promises');
  const fh = await open(img, 'r+');
  try { await fh.write(bytes, 0, bytes.length, offset); } finally { await fh.close(); }
}
export { P1 };
