import type { SyslinuxLabel } from './extlinux-config.ts';
import type { LkrnInfo } from './ipxe-lkrn.ts';
import { finding, type LintFinding } from './types.ts';

export interface ScriptInput {
  label: SyslinuxLabel;
  lkrn: LkrnInfo;
  kernelPath: string;
  initrds: Array<{ file: string; text: string }>;
}

/** iPXE runs the command line as a script, else an initrd starting with #!ipxe (facts file). */
export function scriptSource(input: ScriptInput): { name: string; lines: string[] } | null {
  const cmdline = (input.label.append ?? '').replace(/(?:^|\s)initrd=\S+/g, '').trim();
  if (cmdline) return { name: `APPEND of LABEL ${input.label.name}`, lines: [cmdline] };
  const s = input.initrds.find((i) => /^#!ipxe/.test(i.text));
  return s ? { name: s.file, lines: s.text.split(/\r?\n/) } : null;
}

/** Splits one script line into commands (`a && b || c`), dropping comments and labels. */
function commands(line: string): string[][] {
  const t = line.trim();
  if (!t || t.startsWith('#') || t.startsWith(':')) return [];
  return t.split(/\s*(?:&&|\|\||;)\s*/).map((c) => c.split(/\s+/).filter(Boolean)).filter((c) => c.length > 0);
}

/** Check 8: every command exists in this lkrn; no https URL without HTTPS support. */
export function checkIpxeScript(input: ScriptInput): LintFinding[] {
  const { lkrn } = input;
  const src = scriptSource(input);
  if (!src) return [finding('info', 'LINT_IPXE_NO_SCRIPT', 'script', `LABEL ${input.label.name} gives ${input.kernelPath} no command line and no #!ipxe initrd: iPXE uses its embedded script, else autoboots (DHCP filename)`, 'add INITRD ipxe.conf (starting with #!ipxe) or APPEND dhcp && chain URL')];
  const out: LintFinding[] = [];
  const https = lkrn.features.has('HTTPS');
  src.lines.forEach((line, i) => {
    const where = src.lines.length > 1 ? `${src.name}:${i + 1}` : src.name;
    for (const argv of commands(line)) {
      const name = argv[0]!;
      if (name.includes('$') || name.startsWith('#!')) continue;
      if (lkrn.hasCommand(name) === false) {
        out.push(finding('error', 'LINT_IPXE_UNKNOWN_COMMAND', 'script', `${where}: \`${name}\` is not a command of ${input.kernelPath}${lkrn.version ? ` (iPXE ${lkrn.version})` : ''}: iPXE prints "${name}: command not found"`, `build iPXE with the command enabled (config/general.h, e.g. ${name.toUpperCase()}_CMD) and put it in ipxe/ipxe.lkrn, or drop the command`));
      }
      if (!https && argv.slice(1).some((a) => /^https:\/\//i.test(a))) {
        out.push(finding('error', 'LINT_IPXE_NO_HTTPS', 'chain', `${where}: \`${name}\` uses an https:// URL but ${input.kernelPath} has no HTTPS feature`, 'build iPXE with DOWNLOAD_PROTO_HTTPS (and your CA) or use http://'));
      }
    }
  });
  if (!lkrn.payloadBytes) out.push(finding('warning', 'LINT_IPXE_COMMANDS_UNCHECKED', 'script', `${input.kernelPath}: its command list could not be extracted (${lkrn.problem ?? 'no payload'}): the script's commands were NOT checked`, 'check the script by booting it (bootchain boot), or use an ipxe.lkrn built by iPXE\'s make bin/ipxe.lkrn'));
  return out;
}
