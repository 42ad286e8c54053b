import type { ChainInfo } from '../image/types.ts';
import { isLine, isRead, type Fact } from './facts.ts';
import { STAGE_IDS, STAGE_TITLES, type CoreStageId, type StageId } from './ladder.ts';
import { HARD_DISK_RE, IPXE_START_RE, pass, seq, type EvidenceContext, type Cursor, type StageOutcome } from './stage-evidence.ts';

/**
 * The ladder of each BIOS chain as data: its stages in boot order (the same ids where the meaning is the
 * same), the stages the chain does not have (skipped, with the reason), and evidence where a chain proves a
 * stage differently. One tracker runs every ladder; adding a chain adds a record here.
 */
export interface LadderStage {
  id: StageId;
  title: string;
  /** The chain has no such stage: reported `skipped` with this reason, never passed. */
  skip?: string;
  /** Evidence of this chain for the stage (default: the shared evaluator of that id in stage-evidence.ts). */
  evaluate?: (ctx: EvidenceContext, from: Cursor) => StageOutcome;
  /** What a hang here usually means. */
  hangHint?: string;
}

export interface ChainLadder {
  id: ChainInfo['ladder'];
  title: string;
  stages: LadderStage[];
}

const core = (id: CoreStageId, over: Partial<LadderStage> = {}): LadderStage => ({ id, title: STAGE_TITLES[id], ...over });

/** The earliest console line matching `re` at or after the cursor (the shared timeline rules of stage-evidence). */
function consoleStage(re: RegExp, what: string) {
  return (ctx: EvidenceContext, from: Cursor): StageOutcome => {
    const r = seq(ctx, from, [{ pred: isLine(re) }]);
    return r?.kind === 'pass' ? pass(r.t, [`${r.evidence[0]} (${what})`]) : r;
  };
}

/**
 * "Booting from Hard Disk", the BIOS's read of LBA 0, then a read beyond it: SeaBIOS reads only LBA 0 to
 * boot, so the next read is the MBR code's own (loading `what`).
 */
function mbrCodeLoads(what: string) {
  return (ctx: EvidenceContext, from: Cursor): StageOutcome => {
    if (!ctx.regions?.has('mbr')) return { kind: 'no-source', why: 'no disk map of this image' };
    const r = seq(ctx, from, [
      { pred: isLine(HARD_DISK_RE) },
      { pred: isRead('mbr'), role: 'mbr' },
      { pred: (f: Fact) => f.kind === 'read' && f.offset >= 512 },
    ]);
    return r?.kind === 'pass' ? pass(r.t, [...r.evidence.slice(0, 2), `${r.evidence[2]} (the MBR code loading ${what})`]) : r;
  };
}

/** gptmbr.bin or mbr.bin → EXTLINUX (ext2/3/4) or SYSLINUX (FAT): the seed's chain and its MBR-disk relatives. */
export const SYSLINUX_LADDER: ChainLadder = {
  id: 'syslinux',
  title: 'MBR code (gptmbr.bin / mbr.bin) → partition boot sector → SYSLINUX → iPXE',
  stages: STAGE_IDS.map((id) => core(id)),
};

/** isohybrid image (Debian's ipxe.iso): the MBR code loads isolinux.bin from the ISO 9660 volume itself. */
export const ISOLINUX_LADDER: ChainLadder = {
  id: 'isolinux-hybrid',
  title: 'isohybrid MBR code → isolinux.bin (ISO 9660) → iPXE',
  stages: [
    core('bios'),
    core('mbr', { title: 'MBR code (isohdpfx) ran and loaded isolinux.bin', evaluate: mbrCodeLoads('isolinux.bin') }),
    core('gpt', { skip: 'ISO 9660 hybrid image: no GPT' }),
    core('vbr', { skip: 'ISO 9660 hybrid image: the MBR code loads isolinux.bin itself, there is no partition boot sector' }),
    core('ldlinux-sys', { title: 'isolinux.bin loaded and ran (ISOLINUX banner)' }),
    ...(['ldlinux-c32', 'config', 'ipxe', 'script', 'network', 'chain', 'kernel', 'init'] as const).map((id) => core(id)),
  ],
};

/** GRUB 2 for BIOS: boot.img in the MBR loads core.img (post-MBR gap or BIOS boot partition); `linux16` starts iPXE. */
export const GRUB_LADDER: ChainLadder = {
  id: 'grub',
  title: "GRUB's boot.img → core.img → GRUB normal mode (grub.cfg) → linux16 iPXE",
  stages: [
    core('bios'),
    core('mbr', { title: "MBR code (GRUB's boot.img) ran and loaded core.img", evaluate: mbrCodeLoads('core.img') }),
    core('gpt', { skip: 'GRUB chain: boot.img loads core.img by its LBA, not through the partition table' }),
    core('vbr', { skip: 'GRUB chain: no partition boot sector' }),
    { id: 'grub-core', title: 'core.img loaded and ran ("GRUB loading", "Welcome to GRUB!")', evaluate: consoleStage(/GRUB loading|Welcome to GRUB!/, "core.img's own output"), hangHint: 'boot.img ran but core.img did not: reinstall GRUB (grub-install / grub-bios-setup) so boot.img points at core.img' },
    { id: 'grub-normal', title: 'GRUB normal mode read grub.cfg and booted its entry', evaluate: consoleStage(/Booting |Loading |^\s*\*?\s*[A-Za-z].*\bGNU GRUB\b|^Linux version/, 'GRUB normal mode'), hangHint: 'GRUB did not get to boot its entry: check grub.cfg (default, timeout, the linux16 path) and the modules in core.img' },
    core('ldlinux-sys', { skip: 'GRUB chain: no SYSLINUX' }),
    core('ldlinux-c32', { skip: 'GRUB chain: no SYSLINUX' }),
    core('config', { skip: "GRUB chain: the configuration is grub.cfg, read in GRUB's normal mode" }),
    core('ipxe', { title: 'iPXE started (linux16)', evaluate: consoleStage(IPXE_START_RE, "iPXE's own output") }),
    ...(['script', 'network', 'chain', 'kernel', 'init'] as const).map((id) => core(id)),
  ],
};

const LADDERS: Record<ChainInfo['ladder'], ChainLadder> = {
  syslinux: SYSLINUX_LADDER,
  'isolinux-hybrid': ISOLINUX_LADDER,
  grub: GRUB_LADDER,
  // Not recognised: the seed's ladder, whose silent stages are implied unless the map proves them.
  unknown: { ...SYSLINUX_LADDER, id: 'unknown', title: 'unknown chain: judged with the SYSLINUX ladder; silent stages need a disk map to pass' },
};

/** The ladder for a detected chain (the seed's when nothing was detected). */
export function ladderFor(chain: ChainInfo | undefined | null): ChainLadder {
  return LADDERS[chain?.ladder ?? 'syslinux'];
}

/** Every stage id any ladder has, with its title (for reports and validation). */
export const ALL_STAGE_TITLES: Record<string, string> = Object.fromEntries(Object.values(LADDERS).flatMap((l) => l.stages.map((s) => [s.id, s.title])).reverse());
