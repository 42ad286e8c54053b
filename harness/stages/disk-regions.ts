import type { DiskMap, Region } from '../image/types.ts';

/** What a disk read touched, in boot-chain terms. */
export type ReadRole = 'mbr' | 'gpt-header' | 'gpt-entries' | 'vbr' | 'ldlinux-sys-first' | 'ldlinux-sys-rest' | 'ldlinux-c32' | 'config-file' | 'payload';

const CONFIG_NAMES = new Set(['extlinux.conf', 'syslinux.cfg', 'isolinux.cfg']);

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1).toLowerCase();
}

function overlaps(r: Region, start: number, end: number): boolean {
  return r.ranges.some((x) => x.start < end && start < x.end);
}

/** Classifies disk reads by the regions of a disk map. */
export class DiskRegions {
  constructor(private readonly map: DiskMap) {}

  get partitionTable(): DiskMap['partitionTable'] {
    return this.map.partitionTable;
  }

  /** True when the map knows where reads of `role` land (so the stage that makes them can be proved by them). */
  has(role: ReadRole): boolean {
    switch (role) {
      case 'mbr':
      case 'gpt-header':
      case 'gpt-entries':
        return this.map.partitionTable !== 'none' && this.map.regions.some((r) => r.kind === role);
      case 'vbr':
        return this.map.regions.some((r) => r.kind === 'vbr' && (this.map.bootPartition === null || r.partition === this.map.bootPartition));
      case 'ldlinux-sys-first':
      case 'ldlinux-sys-rest':
        return this.find('ldlinux.sys') !== undefined;
      case 'ldlinux-c32':
        return this.find('ldlinux.c32') !== undefined;
      case 'config-file':
        return this.map.regions.some((r) => r.kind === 'file' && CONFIG_NAMES.has(basename(r.path ?? r.name)));
      case 'payload':
        return this.map.regions.some((r) => r.kind === 'file');
    }
  }

  /** Why the map lacks a region (the map's own notes), for evidence text. */
  whyMissing(role: ReadRole): string {
    if (this.map.partitionTable === 'none') return 'no partition table found';
    if (role === 'vbr' && this.map.bootPartition === null) return this.map.notes.find((n) => /bootable|active/i.test(n)) ?? 'no boot partition';
    return this.map.notes.at(-1) ?? 'not found';
  }

  /** Roles of a read [offset, offset+bytes), with the region names for evidence. */
  classify(offset: number, bytes: number): { role: ReadRole; name: string }[] {
    const end = offset + Math.max(bytes, 1);
    const out: { role: ReadRole; name: string }[] = [];
    for (const r of this.map.regions) {
      if (!overlaps(r, offset, end)) continue;
      for (const role of this.rolesOf(r, offset, end)) out.push({ role, name: r.name });
    }
    return out;
  }

  private rolesOf(r: Region, start: number, end: number): ReadRole[] {
    if (r.kind === 'mbr' || r.kind === 'gpt-header' || r.kind === 'gpt-entries') return [r.kind];
    if (r.kind === 'vbr') return this.map.bootPartition === null || r.partition === this.map.bootPartition ? ['vbr'] : [];
    const name = basename(r.path ?? r.name);
    if (name === 'ldlinux.sys') {
      // The VBR loads sector 1 of ldlinux.sys alone; that sector then loads the rest.
      const first = r.ranges[0];
      if (!first) return [];
      const s1 = { start: first.start, end: first.start + 512 };
      const roles: ReadRole[] = [];
      if (start < s1.end && s1.start < end) roles.push('ldlinux-sys-first');
      if (end > s1.end || start >= s1.end || start < s1.start) {
        if (r.ranges.some((x) => x.start < end && start < x.end && !(x === first && end <= s1.end))) roles.push('ldlinux-sys-rest');
      }
      return roles;
    }
    if (name === 'ldlinux.c32') return ['ldlinux-c32'];
    if (CONFIG_NAMES.has(name)) return ['config-file'];
    return ['payload'];
  }

  private find(base: string): Region | undefined {
    return this.map.regions.find((r) => r.kind === 'file' && basename(r.path ?? r.name) === base);
  }
}
