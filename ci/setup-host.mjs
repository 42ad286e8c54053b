// Checks the host tools/files bootchain needs; installs the missing Debian packages as root,
// prints the exact command otherwise. Silent and fast (no apt) when everything is present.
// Run: node bin/zx.js ci/setup-host.mjs   (zx globals: $, fs, path, chalk)
// Keep this table in sync with harness/image/host-tools.ts (HOST_TOOLS).
const TOOLS = [
  ['qemu-system-x86_64', null, 'qemu-system-x86'],
  ['qemu-img', null, 'qemu-utils'],
  ['bios.bin', '/usr/share/seabios/bios.bin', 'seabios'],
  ['ipxe.lkrn', '/usr/lib/ipxe/ipxe.lkrn', 'ipxe'],
  ['extlinux', null, 'extlinux'],
  ['gptmbr.bin', '/usr/lib/syslinux/mbr/gptmbr.bin', 'syslinux-common'],
  ['mbr.bin', '/usr/lib/syslinux/mbr/mbr.bin', 'syslinux-common'],
  ['syslinux', null, 'syslinux'],
  ['mkfs.fat', null, 'dosfstools'],
  ['fsck.fat', null, 'dosfstools'],
  ['mmd', null, 'mtools'],
  ['mcopy', null, 'mtools'],
  ['grub-mkimage', null, 'grub-pc-bin'],
  // ISOLINUX's isohybrid MBR codes: chain detection fingerprints isohybrid images (ipxe.iso) against them.
  ['isohdpfx.bin', '/usr/lib/ISOLINUX/isohdpfx.bin', 'isolinux'],
  ['grub-i386-pc', '/usr/lib/grub/i386-pc/boot.img', 'grub-pc-bin'],
  ['sgdisk', null, 'gdisk'],
  ['sfdisk', null, 'fdisk'],
  ['mke2fs', null, 'e2fsprogs'],
  ['e2fsck', null, 'e2fsprogs'],
  ['debugfs', null, 'e2fsprogs'],
  ['pigz', null, 'pigz'],
  ['unshare', null, 'util-linux'],
  ['losetup', null, 'util-linux'],
  ['mount', null, 'mount'],
  ['ip', null, 'iproute2'],
];

// `--for-tests` adds what only the test suite needs: headless Chromium renders the HTML report; junitparser (a
// real JUnit consumer) reads back the JUnit files bootchain writes; gdb attaches to `bootchain debug --gdb`, and
// python3's pty module drives `debug` on a pseudo-terminal.
if (process.argv.includes('--for-tests')) TOOLS.push(['chromium', null, 'chromium'], ['junitparser', '/usr/lib/python3/dist-packages/junitparser/__init__.py', 'python3-junitparser'], ['gdb', null, 'gdb'], ['python3', null, 'python3']);

const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];
const isExec = (p) => { try { fs.accessSync(p, fs.constants.X_OK); return fs.statSync(p).isFile(); } catch { return false; } };
const isReadable = (p) => { try { fs.accessSync(p, fs.constants.R_OK); return true; } catch { return false; } };
const present = ([name, file]) => (file ? isReadable(file) : dirs.some((d) => isExec(path.join(d, name))));

const missing = TOOLS.filter((t) => !present(t));
if (missing.length > 0) {
  const pkgs = [...new Set(missing.map((t) => t[2]))];
  const names = missing.map((t) => t[1] ?? t[0]).join(', ');
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`setup-host: missing host tools: ${names}`);
    console.error(`setup-host: run as root:\n  ${cmd}`);
    process.exit(1);
  }
  console.error(`setup-host: missing ${names}; installing: ${pkgs.join(' ')}`);
  $.verbose = true;
  await $`apt-get update`;
  await $({ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y --no-install-recommends ${pkgs}`;
  const still = TOOLS.filter((t) => !present(t));
  if (still.length > 0) {
    console.error(`setup-host: still missing after install: ${still.map((t) => t[1] ?? t[0]).join(', ')}`);
    process.exit(1);
  }
}
