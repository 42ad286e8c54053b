import { findFileRegion, readMappedFile } from '../image/read-mapped-file.ts';
import type { Region } from '../image/types.ts';
import { defaultLabel, parseSyslinuxConfig, type SyslinuxConfig } from './extlinux-config.ts';
import { inspectLkrnCached } from './lkrn-cache.ts';
import { checkIpxeScript } from './check-ipxe-script.ts';
import { finding, type LintFinding } from './types.ts';
import type { LintContext } from './lint-context.ts';

const CONFIG_NAMES = ['extlinux.conf', 'syslinux.cfg'];
/** Modules named by UI/COM32 are searched with a .c32 suffix too. */
const withC32 = (f: string) => (/\.c32$/i.test(f) ? [f] : [f, `${f}.c32`]);

function lookup(ctx: LintContext, name: string): Region | undefined {
  if (name.startsWith('/') && ctx.map.syslinuxDir && !name.startsWith(`${ctx.map.syslinuxDir}/`)) return undefined;
  return findFileRegion(ctx.map, name.replace(/^\.\//, ''));
}

/** Checks 6–8: config present and complete, the default kernel a bzImage, the iPXE script runnable. */
export async function checkConfig(ctx: LintContext): Promise<LintFinding[]> {
  const { map } = ctx;
  if (!ctx.boot || !map.syslinuxDir) return [];
  const dir = map.syslinuxDir;
  const cfgRegion = CONFIG_NAMES.map((n) => findFileRegion(map, `${dir === '/' ? '' : dir}/${n}`)).find(Boolean);
  if (!cfgRegion) return [finding('error', 'LINT_NO_CONFIG', 'config', `no extlinux.conf or syslinux.cfg in ${dir}: SYSLINUX prints "WARNING: No configuration file found"`, `put extlinux.conf into ${dir}`)];
  const cfgPath = cfgRegion.path ?? 'extlinux.conf';
  const cfg = parseSyslinuxConfig((await readMappedFile(ctx.image, cfgRegion)).toString('latin1'));
  const out: LintFinding[] = [];
  const refs: Array<{ file: string; line: string; stage: 'config' | 'ipxe'; modules?: boolean }> = [];
  const labels = [...cfg.labels];
  for (const inc of cfg.includes) {
    const r = lookup(ctx, inc);
    if (!r) { refs.push({ file: inc, line: `INCLUDE ${inc}`, stage: 'config' }); continue; }
    const sub: SyslinuxConfig = parseSyslinuxConfig((await readMappedFile(ctx.image, r)).toString('latin1'));
    labels.push(...sub.labels);
    cfg.default ??= sub.default;
    cfg.ui ??= sub.ui;
  }
  for (const u of cfg.unknown) out.push(finding('info', 'LINT_CONFIG_UNKNOWN_KEYWORD', 'config', `${cfgPath}:${u.line}: unknown keyword in "${u.text}"`, 'check the spelling against the SYSLINUX config docs'));
  if (!cfg.default && !cfg.ui) {
    out.push(finding('error', 'LINT_CONFIG_NO_DEFAULT', 'config', `${cfgPath} has neither DEFAULT nor UI: SYSLINUX prints "No DEFAULT or UI configuration directive found!" and waits at boot:`, 'add DEFAULT <label>'));
  }
  if (cfg.ui) refs.push({ file: cfg.ui.split(/\s+/)[0]!, line: `UI ${cfg.ui}`, stage: 'config', modules: true });
  for (const l of labels) {
    if (l.kernel) refs.push({ file: l.kernel, line: `LABEL ${l.name} (line ${l.line}): ${l.kernelKeyword} ${l.kernel}`, stage: 'ipxe', modules: l.kernelKeyword === 'COM32' });
    for (const i of l.initrd) refs.push({ file: i, line: `LABEL ${l.name} (line ${l.line}): INITRD ${i}`, stage: 'ipxe' });
  }
  for (const r of refs) {
    const names = r.modules ? withC32(r.file) : [r.file];
    if (names.some((n) => lookup(ctx, n))) continue;
    const outside = r.file.startsWith('/') && !r.file.startsWith(`${dir}/`);
    out.push(outside
      ? finding('info', 'LINT_CONFIG_FILE_UNCHECKED', r.stage, `${cfgPath}: ${r.line} names ${r.file}, outside ${dir}: not checked`, 'keep boot files in the SYSLINUX directory')
      : finding('error', 'LINT_CONFIG_MISSING_FILE', r.stage, `${cfgPath}: ${r.line}: ${r.file} does not exist in ${dir}: SYSLINUX prints "Loading ${r.file}... failed: No such file or directory"`, `copy ${r.file} into ${dir} or fix the name (names are case-sensitive on ext)`));
  }
  const label = defaultLabel({ ...cfg, labels });
  if (cfg.default && !label) out.push(finding('warning', 'LINT_CONFIG_DEFAULT_NOT_A_LABEL', 'config', `${cfgPath}: DEFAULT ${cfg.default} names no LABEL: SYSLINUX runs it as a kernel command line`, 'add a LABEL of that name'));
  if (!label?.kernel || label.kernelKeyword === 'COM32' || label.kernelKeyword === 'CONFIG') return out;
  const kr = lookup(ctx, label.kernel);
  if (!kr) return out;
  const kernel = await readMappedFile(ctx.image, kr);
  const hdrs = kernel.length >= 0x206 && kernel[0x1fe] === 0x55 && kernel[0x1ff] === 0xaa && kernel.toString('latin1', 0x202, 0x206) === 'HdrS';
  if (!hdrs) {
    out.push(finding('error', 'LINT_KERNEL_NOT_BZIMAGE', 'ipxe', `${kr.path} (LABEL ${label.name}, line ${label.line}) is not a bzImage (no 55AA at 0x1FE / "HdrS" at 0x202; ${kernel.length} B): SYSLINUX prints "Booting kernel failed: Invalid argument"`, 'use an iPXE built as ipxe.lkrn (make bin/ipxe.lkrn) or Debian\'s /usr/lib/ipxe/ipxe.lkrn'));
    return out;
  }
  const lkrn = inspectLkrnCached(kernel);
  if (lkrn.problem && !lkrn.payloadBytes) {
    out.push(finding('warning', 'LINT_IPXE_UNREADABLE', 'script', `${kr.path}: could not read its iPXE payload (${lkrn.problem}), so the script's commands were NOT checked`, 'check the script by booting it (bootchain boot); if the kernel is not iPXE, ignore this'));
    return out;
  }
  const initrds = await Promise.all(label.initrd.map(async (f) => {
    const r = lookup(ctx, f);
    return r ? { file: r.path ?? f, text: (await readMappedFile(ctx.image, r)).toString('latin1') } : null;
  }));
  out.push(...checkIpxeScript({ label, lkrn, kernelPath: kr.path ?? label.kernel, initrds: initrds.filter((x) => x !== null) }));
  return out;
}
