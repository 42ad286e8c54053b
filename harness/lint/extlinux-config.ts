/** A parsed SYSLINUX/EXTLINUX configuration (the subset that decides what boots). */
export interface SyslinuxLabel {
  name: string;
  line: number;
  kernel: string | null;
  /** The keyword that named the kernel: LINUX, KERNEL, BOOT, COM32, … */
  kernelKeyword: string | null;
  append: string | null;
  initrd: string[];
}

export interface SyslinuxConfig {
  default: string | null;
  ui: string | null;
  prompt: boolean;
  timeout: number | null;
  serial: string | null;
  says: string[];
  labels: SyslinuxLabel[];
  includes: string[];
  /** Lines with keywords this parser does not know, reported by lint as notes. */
  unknown: Array<{ line: number; text: string }>;
}

const KERNEL_KEYWORDS = new Set(['kernel', 'linux', 'boot', 'bss', 'pxe', 'fdimage', 'comboot', 'com32', 'config']);
const KNOWN = new Set([
  'default', 'ui', 'label', 'append', 'initrd', 'say', 'serial', 'console', 'timeout', 'totaltimeout', 'prompt',
  'include', 'menu', 'ontimeout', 'onerror', 'implicit', 'allowoptions', 'nocomplete', 'noescape', 'font',
  'kbdmap', 'display', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'f10', 'f11', 'f12', 'path',
  'ipappend', 'sysappend', 'localboot', 'text', 'endtext', 'mtab', 'menu', 'fkey',
  ...KERNEL_KEYWORDS,
]);

/** Parses extlinux.conf text. Never throws: problems become `unknown` entries or nulls for lint to judge. */
export function parseSyslinuxConfig(text: string): SyslinuxConfig {
  const cfg: SyslinuxConfig = { default: null, ui: null, prompt: false, timeout: null, serial: null, says: [], labels: [], includes: [], unknown: [] };
  let cur: SyslinuxLabel | null = null;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (!m) return;
    const kw = m[1]!.toLowerCase();
    const arg = m[2]!.trim();
    if (!KNOWN.has(kw)) {
      cfg.unknown.push({ line: i + 1, text: line });
      return;
    }
    switch (kw) {
      case 'default': cfg.default = arg || null; break;
      case 'ui': cfg.ui = arg || null; break;
      case 'prompt': cfg.prompt = arg !== '0'; break;
      case 'timeout': cfg.timeout = Number.parseInt(arg, 10); break;
      case 'serial': cfg.serial = arg; break;
      case 'say': cfg.says.push(arg); break;
      case 'include': cfg.includes.push(arg.split(/\s+/)[0] ?? ''); break;
      case 'label':
        cur = { name: arg, line: i + 1, kernel: null, kernelKeyword: null, append: null, initrd: [] };
        cfg.labels.push(cur);
        break;
      case 'append':
        if (cur) {
          cur.append = arg;
          const ir = /(?:^|\s)initrd=(\S+)/.exec(arg);
          if (ir) cur.initrd.push(...ir[1]!.split(','));
        }
        break;
      case 'initrd': if (cur) cur.initrd.push(...arg.split(',').filter(Boolean)); break;
      default:
        if (KERNEL_KEYWORDS.has(kw) && cur) {
          cur.kernel = arg.split(/\s+/)[0] ?? null;
          cur.kernelKeyword = kw.toUpperCase();
        }
    }
  });
  return cfg;
}

/** The label DEFAULT selects (SYSLINUX falls back to treating DEFAULT as a kernel command line). */
export function defaultLabel(cfg: SyslinuxConfig): SyslinuxLabel | null {
  if (!cfg.default) return null;
  const name = cfg.default.split(/\s+/)[0]!;
  return cfg.labels.find((l) => l.name === name) ?? null;
}

/** Where iPXE will find its script when this config boots it (embedded scripts are invisible here). */
export function ipxeScriptSource(cfg: SyslinuxConfig, initrdStartsWithIpxe: (file: string) => boolean): 'command line' | 'initrd' | null {
  const l = defaultLabel(cfg);
  if (!l) return null;
  const cmdline = (l.append ?? '').replace(/(?:^|\s)initrd=\S+/g, '').trim();
  if (cmdline) return 'command line';
  if (l.initrd.some(initrdStartsWithIpxe)) return 'initrd';
  return null;
}
