import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BootchainError } from '../errors.ts';
import { runTool } from '../run-tool.ts';
import { workspace } from '../project/workspace.ts';

/**
 * The OS at the end of the chain that bootchain builds itself, once, cached like images: a Linux kernel
 * from Debian's cloud kernel package (it boots fast in QEMU) and a small initramfs from busybox-static
 * whose /init prints a marker with the kernel command line and powers off, so QEMU exits by itself.
 */
export interface Payload {
  kernel: string;
  initramfs: string;
  /** e.g. "linux-image-6.1.0-57-cloud-amd64 6.1.192-3, busybox-static 1:1.35.0-4+deb12u1+b1" */
  versions: string;
}

/** What the payload's /init prints first: the kernel command line follows it on the same line. */
export const INIT_MARKER = 'BOOTCHAIN-INIT';

const INIT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox echo "${INIT_MARKER} cmdline: $(/bin/busybox cat /proc/cmdline)"
/bin/busybox sleep 0.5
/bin/busybox poweroff -f
`;
// (The pause lets the console drain the line before poweroff: the kernel's own shutdown messages are printed
// synchronously and otherwise cut into it — seen once in 20 runs beside a CPU hog.)

/** Keyed by the init script: a changed script is a new payload (the old one stays until the cache is cleared). */
const CACHE = (): string => join(workspace().cacheDir, `payload-${createHash('sha256').update(INIT).digest('hex').slice(0, 8)}`);

/** Returns the cached payload, building it first when absent (needs apt-get download: Debian's mirror). */
export async function ensurePayload(log: (l: string) => void = () => {}): Promise<Payload> {
  const dir = CACHE();
  const done = join(dir, 'payload.json');
  if (existsSync(done)) return JSON.parse(await readFile(done, 'utf8')) as Payload;
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, '.build-'));
  try {
    log('  payload: apt-get download linux-image-cloud-amd64, busybox-static');
    const dl = async (pkgs: string[]): Promise<void> => {
      const download = async (): Promise<{ exitCode: number | undefined; all: string }> => {
        const x = await runTool('apt-get', ['download', '-o', 'APT::Sandbox::User=root', ...pkgs], { cwd: work, reject: false, all: true });
        return { exitCode: x.exitCode, all: String(x.all) };
      };
      let r = await download();
      // A machine whose package lists were never fetched (container images drop them): fetch them once, as root.
      if (r.exitCode !== 0 && process.getuid?.() === 0 && /Unable to locate|has no installation candidate/.test(r.all)) {
        await runTool('apt-get', ['update'], { reject: false });
        r = await download();
      }
      if (r.exitCode !== 0) throw new BootchainError('PAYLOAD_DOWNLOAD_FAILED', `apt-get download ${pkgs.join(' ')} failed: ${String(r.all).trim().split('\n').slice(-2).join(' | ')}`, 'the test payload comes from Debian\'s mirror: check `apt-get update` works here, or serve your own kernel and initrd from a scenario route (file:)');
    };
    await dl(['linux-image-cloud-amd64', 'busybox-static']);
    const meta = (await runTool('sh', ['-c', 'dpkg-deb -f linux-image-cloud-amd64_*.deb Depends'], { cwd: work })).stdout.trim();
    const kpkg = /linux-image-[\w.+-]+-cloud-amd64/.exec(meta)?.[0];
    if (!kpkg) throw new BootchainError('PAYLOAD_DOWNLOAD_FAILED', `cannot tell the kernel package from linux-image-cloud-amd64's Depends: "${meta}"`, 'report this; serve your own kernel meanwhile');
    await dl([kpkg]);
    await runTool('sh', ['-c', `dpkg-deb -x ${kpkg}_*.deb x && dpkg-deb -x busybox-static_*.deb x`], { cwd: work });
    const versions = (await runTool('sh', ['-c', `dpkg-deb -f ${kpkg}_*.deb Package Version | tr '\\n' ' '; echo; dpkg-deb -f busybox-static_*.deb Package Version | tr '\\n' ' '`], { cwd: work })).stdout.trim().replace(/Package: |Version: /g, '').replace(/\n/, ', ');
    const vmlinuz = (await runTool('sh', ['-c', 'ls x/boot/vmlinuz-*'], { cwd: work })).stdout.trim();
    const out = join(work, 'out');
    await mkdir(out);
    await copyFile(join(work, vmlinuz), join(out, 'vmlinuz'));
    const busybox = await readFile(join(work, 'x/bin/busybox'));
    await writeFile(join(out, 'initramfs.gz'), gzipSync(buildCpio([
      { name: 'bin', mode: 0o040755 },
      { name: 'dev', mode: 0o040755 },
      // The kernel opens /dev/console for init's stdio: without the node, init prints nothing.
      { name: 'dev/console', mode: 0o020600, rdevMajor: 5, rdevMinor: 1 },
      { name: 'proc', mode: 0o040755 },
      { name: 'bin/busybox', mode: 0o100755, data: busybox },
      { name: 'init', mode: 0o100755, data: Buffer.from(INIT) },
    ]), { level: 9 }));
    const payload: Payload = { kernel: join(dir, 'vmlinuz'), initramfs: join(dir, 'initramfs.gz'), versions };
    await rename(join(out, 'vmlinuz'), payload.kernel);
    await rename(join(out, 'initramfs.gz'), payload.initramfs);
    await writeFile(done, JSON.stringify(payload, null, 2) + '\n');
    log(`  payload: ${versions}`);
    return payload;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface CpioEntry {
  name: string;
  mode: number;
  data?: Buffer;
  rdevMajor?: number;
  rdevMinor?: number;
}

/** A cpio archive in the "newc" format the kernel unpacks, deterministic (mtime 0, uid/gid 0). */
export function buildCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  let ino = 1;
  const add = (e: CpioEntry): void => {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`);
    const header = `070701${hex(ino++)}${hex(e.mode)}${hex(0)}${hex(0)}${hex(e.mode & 0o040000 ? 2 : 1)}${hex(0)}${hex(data.length)}${hex(0)}${hex(0)}${hex(e.rdevMajor ?? 0)}${hex(e.rdevMinor ?? 0)}${hex(name.length)}${hex(0)}`;
    parts.push(Buffer.from(header, 'latin1'), name, pad4(110 + name.length), data, pad4(data.length));
  };
  for (const e of entries) add(e);
  add({ name: 'TRAILER!!!', mode: 0 });
  const all = Buffer.concat(parts);
  return Buffer.concat([all, Buffer.alloc((512 - (all.length % 512)) % 512)]);
}
