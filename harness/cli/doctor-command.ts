import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { aptInstallCommand, findCommand, HOST_TOOLS } from '../image/host-tools.ts';
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

/** `bootchain doctor`: every host requirement, what fixes each gap; exit 0 when a boot can run. */
export async function runDoctor(_args: string[], io: CliIo): Promise<number> {
  const checks: Check[] = [];
  for (const t of HOST_TOOLS) {
    const where = t.path ? (existsSync(t.path) ? t.path : null) : findCommand(t.name);
    checks.push({ what: t.name, ok: where !== null, detail: where ?? 'missing', fix: where ? '' : aptInstallCommand([t.pkg]), required: BOOT_NEEDS.has(t.name) });
  }
  const qemu = checks.find((c) => c.what === 'qemu-system-x86_64');
  if (qemu?.ok) {
    const v = await execa('qemu-system-x86_64', ['--version'], { reject: false });
    qemu.detail = `${qemu.detail} (${String(v.stdout).split('\n')[0]})`;
  }
  checks.push(existsSync('/usr/bin/chromium') || findCommand('chromium') ? { what: 'chromium (HTML report test)', ok: true, detail: findCommand('chromium') ?? '/usr/bin/chromium', fix: '', required: false } : { what: 'chromium (HTML report test)', ok: false, detail: 'missing', fix: aptInstallCommand(['chromium']), required: false });
  if (findCommand('extlinux')) checks.push(probeTemplates());
  if (findCommand('unshare') && findCommand('ip')) checks.push(await probeNamespaces());
  if (qemu?.ok) checks.push(await probeKvm());
  const w = Math.max(...checks.map((c) => c.what.length));
  for (const c of checks) io.out(`${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'miss'}  ${c.what.padEnd(w)}  ${c.detail}${c.ok || !c.fix ? '' : `\n      fix: ${c.fix}`}`);
  const blocking = checks.filter((c) => !c.ok && c.required);
  io.out(blocking.length ? `\nno boot can run here: ${blocking.map((c) => c.what).join(', ')} missing` : '\na boot can run here' + (checks.some((c) => !c.ok) ? ' (the lines marked "miss" limit builds, chains or tests)' : ''));
  return blocking.length ? 1 : 0;
}
