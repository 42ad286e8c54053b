import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { parseArgs } from 'node:util';
import { aptInstallCommand, clearCommandCache, findCommand, HOST_TOOLS } from '../image/host-tools.ts';
import { BootchainError } from '../errors.ts';
import { workspace } from '../project/workspace.ts';
import { confineArgs } from '../machine/build-argv.ts';
import { qemuUserFor } from '../machine/qemu-user.ts';
import { openPrivateNetwork } from '../network/private-network.ts';
import { extlinuxTemplates } from '../image/syslinux-templates.ts';
import type { CliIo } from './io.ts';

interface Check {
  what: string;
  ok: boolean;
  /** What was found (a path, a version) or what is wrong. */
  detail: string;
  /** The exact command that fixes it. */
  fix: string;
  /** Without it no boot can run at all (vs. a feature or the builder missing). */
  required: boolean;
}

/** Tools a boot cannot run without (the rest serve builds, chains, lint or tests). */
const BOOT_NEEDS = new Set(['qemu-system-x86_64', 'bios.bin', 'debugfs', 'unshare']);
/**
 * What building an image with the seed's layout needs (GPT, gptmbr.bin, EXTLINUX on ext2, Debian's ipxe.lkrn):
 * required too where scenarios build their images — bootchain's own checkout, or a project whose config names
 * an `images` folder. A project that only boots prebuilt files (no `images`) can boot without them.
 */
const SEED_BUILD_NEEDS = new Set(['sfdisk', 'mke2fs', 'e2fsck', 'debugfs', 'extlinux', 'mount', 'gptmbr.bin', 'ipxe.lkrn']);

/** A real probe of a private network (namespace, holder, stubs): the boot's default. */
async function probeNamespaces(): Promise<Check> {
  try {
    const net = await openPrivateNetwork({ defaultRoutes: [], hosts: [], startedAt: Date.now(), marker: 'doctor' });
    await net.ready;
    await net.close();
    return { what: 'private network per boot', ok: true, detail: `namespaces work (${process.getuid?.() === 0 ? 'as root' : 'through a user namespace'})`, fix: '', required: false };
  } catch (e) {
    return { what: 'private network per boot', ok: false, detail: (e as Error).message.split('\n')[0]!, fix: 'run as root, or allow user namespaces (sysctl -w kernel.unprivileged_userns_clone=1); meanwhile boots need --network user', required: false };
  }
}

/** Whether the rootless builder finds EXTLINUX's templates inside the extlinux program. */
function probeTemplates(): Check {
  const what = 'rootless EXTLINUX install';
  try {
    const t = extlinuxTemplates();
    return { what, ok: true, detail: `boot sector, ldlinux.sys (${t.ldlinuxSys.length} B), ldlinux.c32 (${t.ldlinuxC32.length} B) found in ${t.source}`, fix: '', required: false };
  } catch (e) {
    return { what, ok: false, detail: (e as Error).message, fix: 'build as root with --builder loop (real extlinux --install on a loop mount)', required: false };
  }
}

/**
 * Whether KVM really works: boot Debian's ipxe.iso with -accel kvm to iPXE and see what QEMU says, rather than
 * trusting /dev/kvm (here it exists, and fails mid-boot with "KVM internal error").
 */
async function probeKvm(): Promise<Check> {
  const what = 'KVM (optional: TCG is the default)';
  if (!existsSync('/dev/kvm')) return { what, ok: false, detail: 'no /dev/kvm', fix: 'none needed: boots use TCG', required: false };
  const iso = '/usr/lib/ipxe/ipxe.iso';
  if (!existsSync(iso)) return { what, ok: false, detail: `cannot probe: ${iso} missing`, fix: aptInstallCommand(['ipxe']), required: false };
  const child = execa('qemu-system-x86_64', ['-accel', 'kvm', '-nodefaults', '-machine', 'pc,graphics=off', '-display', 'none', '-m', '128', '-no-reboot', '-serial', 'stdio', '-drive', `file=${iso},format=raw,if=virtio,snapshot=on`, '-monitor', 'none'], { reject: false, timeout: 8000, all: true, buffer: false });
  let out = '';
  // Stop as soon as the answer shows (a KVM failure pauses QEMU rather than ending it).
  child.all?.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    if (/KVM internal error|failed to set MSR|Could not access KVM|iPXE initialising/i.test(out)) child.kill('SIGKILL');
  });
  const r = await child;
  if (/KVM internal error|failed to set MSR|Could not access KVM|kvm.*error/i.test(out)) return { what, ok: false, detail: `/dev/kvm exists but a real boot fails: ${out.split('\n').find((l) => /KVM|kvm/.test(l))?.trim() ?? 'error'}`, fix: 'none needed: boots use TCG (--accel tcg, the default)', required: false };
  if (/iPXE/.test(out)) return { what, ok: true, detail: 'a real boot under KVM reached iPXE', fix: '', required: false };
  return { what, ok: false, detail: `a KVM boot did not reach iPXE within 8 s (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`, fix: 'none needed: boots use TCG', required: false };
}

/** QEMU always runs in its seccomp sandbox (and, as root, drops to an unprivileged user): both must work here. */
async function probeConfinement(): Promise<Check> {
  const what = 'QEMU sandbox (seccomp; unprivileged user as root)';
  try {
    const confine = qemuUserFor(undefined);
    const args = confineArgs({ confine }, { dir: '/' });
    const r = await execa('qemu-system-x86_64', [...args, '-version'], { reject: false, all: true, timeout: 8000 });
    if (r.exitCode !== 0) return { what, ok: false, detail: String(r.all).split('\n')[0] ?? `exit ${r.exitCode}`, fix: aptInstallCommand(['qemu-system-x86']), required: true };
    return { what, ok: true, detail: `${args[1]}${confine ? `; runs as ${confine.user} (${confine.uid}:${confine.gid})` : ''}`, fix: '', required: true };
  } catch (e) {
    return { what, ok: false, detail: (e as Error).message.split('\n')[0]!, fix: 'useradd --system --no-create-home bootchain-qemu, then BOOTCHAIN_QEMU_USER=bootchain-qemu', required: true };
  }
}

/** `bootchain doctor`: every host requirement, what fixes each gap; exit 0 when a boot can run. */
export async function runDoctor(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { fix: { type: 'boolean', default: false } } });
  const ws = workspace();
  const builds = ws.config === null || ws.config.imagesDir !== null;
  const toolChecks = (): Check[] =>
    HOST_TOOLS.map((t) => {
      const where = t.path ? (existsSync(t.path) ? t.path : null) : findCommand(t.name);
      return { what: t.name, ok: where !== null, detail: where ?? 'missing', fix: where ? '' : aptInstallCommand([t.pkg]), required: BOOT_NEEDS.has(t.name) || (builds && SEED_BUILD_NEEDS.has(t.name)) };
    });
  let checks: Check[] = toolChecks();
  // --fix (CI, as root): install every missing package in one apt-get, then look again.
  const missingPkgs = [...new Set(HOST_TOOLS.filter((t) => checks.some((c) => c.what === t.name && !c.ok)).map((t) => t.pkg))];
  if (values.fix && missingPkgs.length) {
    if (process.getuid?.() !== 0) throw new BootchainError('DOCTOR_FIX_NEEDS_ROOT', `doctor --fix installs Debian packages (${missingPkgs.join(' ')}) and needs root`, `run as root: ${aptInstallCommand(missingPkgs)}`);
    io.err(`installing: ${missingPkgs.join(' ')}`);
    const r = await execa('sh', ['-c', aptInstallCommand(missingPkgs)], { reject: false, all: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.exitCode !== 0) io.err(`apt-get failed (exit ${r.exitCode}):\n${String(r.all).split('\n').slice(-15).join('\n')}`);
    clearCommandCache();
    checks = toolChecks();
  }
  const qemu = checks.find((c) => c.what === 'qemu-system-x86_64');
  if (qemu?.ok) {
    const v = await execa('qemu-system-x86_64', ['--version'], { reject: false });
    qemu.detail = `${qemu.detail} (${String(v.stdout).split('\n')[0]})`;
  }
  // For `bootchain debug --gdb` (attach with gdb); not needed for a boot.
  const gdbAt = findCommand('gdb');
  checks.push({ what: 'gdb (debug --gdb)', ok: gdbAt !== null, detail: gdbAt ?? 'missing', fix: gdbAt ? '' : aptInstallCommand(['gdb']), required: false });
  checks.push(existsSync('/usr/bin/chromium') || findCommand('chromium') ? { what: 'chromium (HTML report test)', ok: true, detail: findCommand('chromium') ?? '/usr/bin/chromium', fix: '', required: false } : { what: 'chromium (HTML report test)', ok: false, detail: 'missing', fix: aptInstallCommand(['chromium']), required: false });
  if (findCommand('extlinux')) checks.push(probeTemplates());
  if (findCommand('unshare') && findCommand('ip')) checks.push(await probeNamespaces());
  if (qemu?.ok) checks.push(await probeConfinement(), await probeKvm());
  const w = Math.max(...checks.map((c) => c.what.length));
  for (const c of checks) io.out(`${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'miss'}  ${c.what.padEnd(w)}  ${c.detail}${c.ok || !c.fix ? '' : `\n      fix: ${c.fix}`}`);
  const blocking = checks.filter((c) => !c.ok && c.required);
  const all = [...new Set(HOST_TOOLS.filter((t) => checks.some((c) => c.what === t.name && !c.ok)).map((t) => t.pkg))];
  if (all.length) io.out(`\nevery gap at once (as root): ${aptInstallCommand(all)}${values.fix ? '' : '\n  or: npx bootchain doctor --fix'}`);
  const forBuilds = blocking.some((c) => !BOOT_NEEDS.has(c.what));
  const why = !forBuilds ? '' : ws.config ? ` (needed to build the images of ${ws.config.imagesDir} that scenarios boot)` : ' (needed to build the images scenarios boot)';
  io.out(blocking.length ? `\nno boot can run here: ${blocking.map((c) => c.what).join(', ')} missing${why}` : '\na boot can run here' + (checks.some((c) => !c.ok) ? ' (the lines marked "miss" limit builds, chains or tests)' : ''));
  return blocking.length ? 1 : 0;
}
