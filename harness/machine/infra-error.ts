/** QEMU problems that are not the guest's fault: the stage ladder must not blame a boot stage. */

interface InfraPattern {
  re: RegExp;
  explain: (m: RegExpExecArray) => string;
  /** QEMU keeps running (e.g. paused) after this message: the machine must be stopped. */
  fatalWhileRunning: boolean;
}

const PATTERNS: InfraPattern[] = [
  { re: /KVM internal error\. Suberror: \d+/, fatalWhileRunning: true,
    explain: (m) => `QEMU/KVM failed (${m[0]}): KVM cannot run this guest on this host; use --accel tcg` },
  { re: /failed to set MSR 0x[0-9a-f]+/i, fatalWhileRunning: true,
    explain: (m) => `QEMU/KVM failed (${m[0]}): the host KVM rejects this CPU model; use --accel tcg` },
  { re: /Could not access KVM kernel module[^\n]*|failed to initialize kvm[^\n]*/i, fatalWhileRunning: false,
    explain: (m) => `KVM is not usable here (${m[0]}); use --accel tcg` },
  { re: /could not load PC BIOS '([^']+)'/, fatalWhileRunning: false,
    explain: (m) => `QEMU could not load the BIOS ${m[1] ?? ''}: install the Debian package \`seabios\`` },
  { re: /failed to find romfile "([^"]+)"/, fatalWhileRunning: false,
    explain: (m) => `QEMU could not find the ROM ${m[1] ?? ''}: install \`ipxe-qemu\` or \`seabios\`` },
  { re: /There is no option group 'sandbox'|seccomp support is disabled/, fatalWhileRunning: false,
    explain: () => 'this QEMU was built without seccomp support (-sandbox): bootchain runs QEMU only inside its sandbox; install Debian\'s `qemu-system-x86` (built with libseccomp) or pass a qemuBinary that has it' },
  { re: /-sandbox [^:\n]*: Invalid parameter '([^']+)'/, fatalWhileRunning: false,
    explain: (m) => `this QEMU does not know the sandbox option \`${m[1] ?? ''}\` (bootchain needs obsolete, elevateprivileges, spawn and resourcecontrol: QEMU 2.11 or later)` },
  { re: /Could not open '([^']+)': ([^\n]+)/, fatalWhileRunning: false,
    explain: (m) => `QEMU could not open ${m[1] ?? ''}: ${m[2] ?? ''}` },
];

/** Scans QEMU's stderr text for a known infrastructure failure. */
export function detectInfraError(stderr: string): { message: string; fatalWhileRunning: boolean } | null {
  for (const p of PATTERNS) {
    const m = p.re.exec(stderr);
    if (m) return { message: p.explain(m), fatalWhileRunning: p.fatalWhileRunning };
  }
  return null;
}

/** Last `qemu-system-…: message` line of stderr (QEMU's own error text), without timestamps. */
export function lastQemuError(stderr: string): string | null {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z?\s+/, '').trim())
    .filter((l) => /^qemu(-system-[\w-]+)?:/.test(l));
  return lines.at(-1) ?? null;
}

/** Explains why QEMU could not be started at all (spawn failed). */
export function explainSpawnFailure(binary: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT')
    return `QEMU binary \`${binary}\` not found: install the Debian package \`qemu-system-x86\` (or pass qemuBinary)`;
  if (code === 'EACCES') return `QEMU binary \`${binary}\` is not executable`;
  return `could not start QEMU \`${binary}\`: ${err instanceof Error ? err.message : String(err)}`;
}
