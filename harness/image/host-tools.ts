import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BootchainError } from '../errors.ts';

/** One host tool or file bootchain needs, and the Debian package that brings it. */
export interface HostTool {
  name: string;
  /** Absolute path for files; commands are looked up on PATH (+ /usr/sbin, /sbin). */
  path?: string;
  pkg: string;
}

/** Every host tool/file the harness uses, mapped to its Debian package (also used by ci/setup-host.mjs). */
export const HOST_TOOLS: readonly HostTool[] = [
  { name: 'qemu-system-x86_64', pkg: 'qemu-system-x86' },
  { name: 'qemu-img', pkg: 'qemu-utils' },
  { name: 'bios.bin', path: '/usr/share/seabios/bios.bin', pkg: 'seabios' },
  { name: 'ipxe.lkrn', path: '/usr/lib/ipxe/ipxe.lkrn', pkg: 'ipxe' },
  { name: 'extlinux', pkg: 'extlinux' },
  { name: 'gptmbr.bin', path: '/usr/lib/syslinux/mbr/gptmbr.bin', pkg: 'syslinux-common' },
  { name: 'mbr.bin', path: '/usr/lib/syslinux/mbr/mbr.bin', pkg: 'syslinux-common' },
  { name: 'syslinux', pkg: 'syslinux' },
  { name: 'mkfs.fat', pkg: 'dosfstools' },
  { name: 'fsck.fat', pkg: 'dosfstools' },
  { name: 'mmd', pkg: 'mtools' },
  { name: 'mcopy', pkg: 'mtools' },
  { name: 'grub-mkimage', pkg: 'grub-pc-bin' },
  { name: 'grub-i386-pc', path: '/usr/lib/grub/i386-pc/boot.img', pkg: 'grub-pc-bin' },
  { name: 'sgdisk', pkg: 'gdisk' },
  { name: 'sfdisk', pkg: 'fdisk' },
  { name: 'mke2fs', pkg: 'e2fsprogs' },
  { name: 'e2fsck', pkg: 'e2fsprogs' },
  { name: 'debugfs', pkg: 'e2fsprogs' },
  { name: 'pigz', pkg: 'pigz' },
  { name: 'unshare', pkg: 'util-linux' },
  { name: 'losetup', pkg: 'util-linux' },
  { name: 'mount', pkg: 'mount' },
  { name: 'ip', pkg: 'iproute2' },
];

export const GPTMBR_BIN = '/usr/lib/syslinux/mbr/gptmbr.bin';
export const MBR_BIN = '/usr/lib/syslinux/mbr/mbr.bin';
export const DEBIAN_IPXE_LKRN = '/usr/lib/ipxe/ipxe.lkrn';

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const found = new Map<string, string | null>();

/** Absolute path of a command on PATH (plus the sbin dirs, which non-root PATHs often lack), or null. */
export function findCommand(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const cached = found.get(name);
  if (cached !== undefined) return cached;
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  let hit: string | null = null;
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) { hit = p; break; }
    } catch { /* not here */ }
  }
  found.set(name, hit);
  return hit;
}

/** Forgets looked-up commands (after packages were installed). */
export function clearCommandCache(): void {
  found.clear();
}

/** Install command for a set of Debian packages. */
export function aptInstallCommand(pkgs: readonly string[]): string {
  return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${[...new Set(pkgs)].join(' ')}`;
}

function toolEntry(name: string): HostTool {
  return HOST_TOOLS.find((t) => t.name === name) ?? { name, pkg: name };
}

/** Like requireTool, but returns null instead of throwing (for optional tools such as pigz). */
export function findTool(name: string): string | null {
  const tool = toolEntry(name);
  if (tool.path) {
    try { accessSync(tool.path, constants.R_OK); return tool.path; } catch { return null; }
  }
  return findCommand(name);
}

/**
 * Absolute path of a host tool or file; throws HOST_TOOL_MISSING naming the Debian package to
 * install when it is absent.
 */
export function requireTool(name: string): string {
  const hit = findTool(name);
  if (hit) return hit;
  const tool = toolEntry(name);
  const what = tool.path ? `\`${tool.path}\` (${name})` : `\`${name}\``;
  throw new BootchainError(
    'HOST_TOOL_MISSING',
    `host tool ${what} not found${tool.path ? '' : ' on PATH'}`,
    `install the Debian package \`${tool.pkg}\`: ${aptInstallCommand([tool.pkg])} (or run: npm run setup-host)`,
  );
}

/** Forget cached lookups (tests). */
export function resetToolCache(): void {
  found.clear();
}
