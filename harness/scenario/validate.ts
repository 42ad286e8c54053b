import { DISK_BUSES, MACHINE_TYPES, NIC_MODELS } from '../machine/resolve-options.ts';
import { ALL_STAGE_TITLES } from '../stages/chains.ts';
import { isValidHostName } from '../network/private-network.ts';
import { BootchainError } from '../errors.ts';
import { STAGE_IDS } from '../stages/ladder.ts';
import type { ScenarioDefinition } from './define.ts';

/** Every built-in stage id of every chain's ladder (grub-core, grub-normal … besides the seed's). */
const CORE_STAGES: readonly string[] = [...new Set([...STAGE_IDS, ...Object.keys(ALL_STAGE_TITLES)])];
const CORRUPT_REGIONS = ['mbr-code', 'mbr-signature', 'vbr', 'vbr-signature', 'file', 'delete-file', 'gpt-attribute', 'mbr-active'];

function fail(file: string, field: string, what: string): never {
  throw new BootchainError('SCENARIO_INVALID', `${file}: field \`${field}\` ${what}`, 'fix the scenario definition (see scenarios/external-script.ts for a working one)');
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a scenario's shape eagerly so a broken file fails at load with the field named. */
export function validateScenario(value: unknown, file: string): ScenarioDefinition {
  if (!isObj(value)) fail(file, 'default export', 'must be defineScenario({...})');
  const v = value;
  if (typeof v.description !== 'string' || !v.description) fail(file, 'description', 'must be a non-empty string');
  if (typeof v.image === 'string') {
    if (!v.image) fail(file, 'image', 'must name an image under images/');
  } else if (isObj(v.image) && 'file' in v.image) {
    if (typeof v.image.file !== 'string' || !v.image.file) fail(file, 'image.file', 'must be the path of a prebuilt image (raw or .img.gz)');
    const extra = Object.keys(v.image).filter((k) => k !== 'file');
    if (extra.length) fail(file, `image.${extra[0]}`, 'does not go with image.file (a prebuilt image is booted as it is)');
  } else if (isObj(v.image)) {
    if (typeof v.image.name !== 'string' || !v.image.name) fail(file, 'image.name', 'must name an image under images/');
    if (v.image.overlay !== undefined) {
      if (!isObj(v.image.overlay)) fail(file, 'image.overlay', 'must map image-definition paths to file contents');
      for (const [k, c] of Object.entries(v.image.overlay)) {
        if (typeof c !== 'string') fail(file, `image.overlay["${k}"]`, 'must be a string (the file content)');
        if (k.startsWith('/') || k.split('/').includes('..')) fail(file, `image.overlay["${k}"]`, 'must be a relative path inside the image definition');
      }
    }
    if (v.image.deploy !== undefined && (!isObj(v.image.deploy) || !Number.isInteger(v.image.deploy.diskGiB) || (v.image.deploy.diskGiB as number) < 1 || (v.image.deploy.diskGiB as number) > 16384)) fail(file, 'image.deploy.diskGiB', 'must be a whole number of GiB, 1..16384 (the disk is a sparse file)');
    if (v.image.corrupt !== undefined) {
      if (!Array.isArray(v.image.corrupt)) fail(file, 'image.corrupt', 'must be an array');
      v.image.corrupt.forEach((c: unknown, i: number) => {
        if (!isObj(c) || typeof c.region !== 'string' || !CORRUPT_REGIONS.includes(c.region)) fail(file, `image.corrupt[${i}].region`, `must be one of ${CORRUPT_REGIONS.join(', ')}`);
        if ((c.region === 'file' || c.region === 'delete-file') && (typeof c.path !== 'string' || !c.path.startsWith('/'))) fail(file, `image.corrupt[${i}].path`, 'must be an absolute path inside the boot partition, e.g. /extlinux/ldlinux.sys');
        if (c.region === 'gpt-attribute' && (!Number.isInteger(c.partition) || typeof c.legacyBootable !== 'boolean')) fail(file, `image.corrupt[${i}]`, 'gpt-attribute needs `partition` (a number) and `legacyBootable` (true/false)');
        if (c.region === 'mbr-active' && c.partition !== undefined && (!Number.isInteger(c.partition) || (c.partition as number) < 1 || (c.partition as number) > 4)) fail(file, `image.corrupt[${i}].partition`, 'must be a primary MBR partition number 1–4 (or absent: every entry)');
        for (const k of ['fill', 'offset', 'length'] as const) if (c[k] !== undefined && (!Number.isInteger(c[k]) || (c[k] as number) < 0)) fail(file, `image.corrupt[${i}].${k}`, 'must be a non-negative integer');
      });
    }
  } else fail(file, 'image', 'must be an image name, { name, overlay?, corrupt? } or { file }');
  if (!isObj(v.expect)) fail(file, 'expect', 'must be { pass: STAGE } or { failAt: STAGE, code? }');
  const stage = v.expect.pass ?? v.expect.failAt;
  if (typeof stage !== 'string') fail(file, 'expect', 'must have `pass` or `failAt` naming a stage');
  if ('pass' in v.expect && 'failAt' in v.expect) fail(file, 'expect', 'cannot have both `pass` and `failAt`');
  const own: string[] = [];
  if (v.stages !== undefined) {
    if (!Array.isArray(v.stages)) fail(file, 'stages', 'must be an array of { id, console }');
    v.stages.forEach((x: unknown, i: number) => {
      if (!isObj(x) || typeof x.id !== 'string' || !/^[a-z][a-z0-9-]*$/.test(x.id)) fail(file, `stages[${i}].id`, 'must be a lower-case id (letters, digits, "-")');
      if (CORE_STAGES.includes(x.id as string) || own.includes(x.id as string)) fail(file, `stages[${i}].id`, `"${x.id}" is already a stage`);
      if (typeof x.console !== 'string' && !(x.console instanceof RegExp)) fail(file, `stages[${i}].console`, 'must be text or a RegExp the console line must match');
      if (typeof x.console === 'string' && x.console.trim() === '') fail(file, `stages[${i}].console`, 'must not be empty');
      if (x.noProgressMs !== undefined && (typeof x.noProgressMs !== 'number' || !(x.noProgressMs > 0))) fail(file, `stages[${i}].noProgressMs`, 'must be a positive number of milliseconds');
      if (x.after !== undefined && !['chain', 'kernel', 'init'].includes(x.after as string)) fail(file, `stages[${i}].after`, 'must be chain, kernel or init');
      own.push(x.id as string);
    });
  }
  if (!CORE_STAGES.includes(stage) && !own.includes(stage)) fail(file, 'pass' in v.expect ? 'expect.pass' : 'expect.failAt', `names unknown stage "${stage}"; stages: ${[...CORE_STAGES, ...own].join(', ')}`);
  if (v.expect.code !== undefined && typeof v.expect.code !== 'string') fail(file, 'expect.code', 'must be a failure-catalog code string');
  if (v.expect.lint !== undefined && (typeof v.expect.lint !== 'string' || !v.expect.lint.startsWith('LINT_'))) fail(file, 'expect.lint', 'must be a lint code such as LINT_NO_BOOTABLE_PARTITION');
  const checkRoutes = (routes: unknown, field: string): void => {
    if (!Array.isArray(routes)) fail(file, field, 'must be an array of routes');
    (routes as unknown[]).forEach((r: unknown, i: number) => {
      if (!isObj(r)) fail(file, `${field}[${i}]`, 'must be a route object');
      for (const k of ['truncateTo', 'stallAfterBytes', 'trickleBytesPerSec'] as const) if (r[k] !== undefined && (!Number.isInteger(r[k]) || (r[k] as number) < 0)) fail(file, `${field}[${i}].${k}`, 'must be a non-negative integer');
      if (r.redirect !== undefined && typeof r.redirect !== 'string') fail(file, `${field}[${i}].redirect`, 'must be a URL or a stub path');
      if (r.headers !== undefined && (!isObj(r.headers) || Object.values(r.headers).some((h) => typeof h !== 'string'))) fail(file, `${field}[${i}].headers`, 'must map header names to strings');
    });
  };
  if (v.network !== undefined && v.network !== 'private' && v.network !== 'user') fail(file, 'network', 'must be "private" (the default: a network namespace per boot) or "user" (QEMU user networking)');
  if (v.hosts !== undefined) {
    if (!isObj(v.hosts)) fail(file, 'hosts', "must map host names to { routes } | { dir } | 'down' | 'blackhole'");
    if (v.network === 'user') fail(file, 'hosts', 'needs the private network (drop network: "user")');
    for (const [name, h] of Object.entries(v.hosts)) {
      const f = `hosts["${name}"]`;
      if (!isValidHostName(name)) fail(file, f, 'is not a valid DNS host name (letters, digits, "-" and dots, e.g. ipxe1.example.org)');
      if (h === 'down' || h === 'blackhole') continue;
      if (!isObj(h)) fail(file, f, "must be { routes: [...] }, { dir: 'folder' }, 'down' or 'blackhole'");
      const keys = Object.keys(h);
      const extra = keys.filter((k) => k !== 'routes' && k !== 'dir');
      if (extra.length) fail(file, `${f}.${extra[0]}`, `is not a host field: a host is { routes }, { dir }, 'down' or 'blackhole' — one of them, not routes and ${extra[0]}`);
      if ((h.routes === undefined) === (h.dir === undefined)) fail(file, f, 'needs exactly one of `routes` or `dir`');
      if (h.dir !== undefined && typeof h.dir !== 'string') fail(file, `${f}.dir`, 'must be a folder path');
      if (h.routes !== undefined) checkRoutes(h.routes, `${f}.routes`);
    }
  }
  if (v.routes !== undefined) {
    checkRoutes(v.routes, 'routes');
    (v.routes as unknown[]).forEach((r: unknown, i: number) => {
      if (!isObj(r) || typeof r.path !== 'string' || !r.path.startsWith('/')) fail(file, `routes[${i}].path`, 'must be a path starting with "/"');
      if (r.status !== undefined && (typeof r.status !== 'number' || r.status < 100 || r.status > 599)) fail(file, `routes[${i}].status`, 'must be an HTTP status code 100-599');
      if (r.delayMs !== undefined && (typeof r.delayMs !== 'number' || !(r.delayMs >= 0))) fail(file, `routes[${i}].delayMs`, 'must be a non-negative number of milliseconds');
      for (const k of ['body', 'template', 'file', 'contentType'] as const) if (r[k] !== undefined && typeof r[k] !== 'string') fail(file, `routes[${i}].${k}`, 'must be a string');
    });
  }
  if (v.machine !== undefined) {
    if (!isObj(v.machine)) fail(file, 'machine', 'must be an object');
    const sh = v.machine.icountShift;
    if (sh !== undefined && (!Number.isInteger(sh) || (sh as number) < 0 || (sh as number) > 10)) fail(file, 'machine.icountShift', 'must be an integer 0..10');
    const bf = v.machine.bootfile;
    if (bf !== undefined && (typeof bf !== 'string' || !bf.startsWith('/'))) fail(file, 'machine.bootfile', 'must be a stub path starting with "/"');
  }
  if (v.matrix !== undefined) {
    const m = v.matrix;
    if (!isObj(m)) fail(file, 'matrix', 'must be { diskBus?, nic?, machine?, memoryMiB?, cross?, expectFail? }');
    const allowed: Record<string, readonly unknown[] | null> = { diskBus: DISK_BUSES, nic: NIC_MODELS, machine: MACHINE_TYPES, memoryMiB: null };
    for (const [k, vals] of Object.entries(m)) {
      if (k === 'cross' || k === 'expectFail') continue;
      if (!(k in allowed)) fail(file, `matrix.${k}`, `is not an axis; axes: ${Object.keys(allowed).join(', ')}`);
      if (!Array.isArray(vals) || vals.length === 0) fail(file, `matrix.${k}`, 'must be a non-empty array of values');
      for (const x of vals as unknown[]) {
        const ok = allowed[k] ? allowed[k]!.includes(x) : Number.isInteger(x) && (x as number) >= 16;
        if (!ok) fail(file, `matrix.${k}`, `value ${JSON.stringify(x)} is not one of ${allowed[k] ? allowed[k]!.join(', ') : 'whole MiB ≥ 16'}`);
      }
    }
    if (m.expectFail !== undefined) {
      if (!Array.isArray(m.expectFail)) fail(file, 'matrix.expectFail', 'must be an array of { when, failAt, why }');
      (m.expectFail as unknown[]).forEach((x, i) => {
        if (!isObj(x) || !isObj(x.when) || typeof x.failAt !== 'string' || typeof x.why !== 'string' || !x.why) fail(file, `matrix.expectFail[${i}]`, 'needs when (axis values), failAt (a stage) and why (the reason)');
      });
    }
  }
  if (v.clock !== undefined && v.clock !== 'warp' && v.clock !== 'realtime') fail(file, 'clock', 'must be "warp" or "realtime"');
  if (v.timeoutMs !== undefined && (typeof v.timeoutMs !== 'number' || !(v.timeoutMs > 0))) fail(file, 'timeoutMs', 'must be a positive number of milliseconds');
  if (v.ledger !== undefined) {
    if (!Array.isArray(v.ledger)) fail(file, 'ledger', 'must be an array of expected requests');
    v.ledger.forEach((x: unknown, i: number) => {
      if (!isObj(x)) fail(file, `ledger[${i}]`, 'must be { method?, host?, path?, query?, status?, count? }');
      if (x.path !== undefined && (typeof x.path !== 'string' || !x.path.startsWith('/'))) fail(file, `ledger[${i}].path`, 'must be a request path starting with "/"');
      if (x.count !== undefined && (!Number.isInteger(x.count) || (x.count as number) < 0)) fail(file, `ledger[${i}].count`, 'must be a non-negative integer (0: never asked)');
      if (x.host !== undefined && typeof x.host !== 'string') fail(file, `ledger[${i}].host`, 'must be a host name');
      if (x.query !== undefined && (!isObj(x.query) || Object.values(x.query).some((q) => typeof q !== 'string'))) fail(file, `ledger[${i}].query`, 'must map query names to strings');
    });
  }
  if (v.console !== undefined && (!Array.isArray(v.console) || v.console.some((c: unknown) => typeof c !== 'string'))) fail(file, 'console', 'must be an array of strings');
  if (v.dns !== undefined) {
    if (!Array.isArray(v.dns)) fail(file, 'dns', 'must be an array of { name, type?, answered?, count? }');
    v.dns.forEach((x: unknown, i: number) => {
      if (!isObj(x) || typeof x.name !== 'string') fail(file, `dns[${i}].name`, 'must be a host name');
      if (x.count !== undefined && (!Number.isInteger(x.count) || (x.count as number) < 0)) fail(file, `dns[${i}].count`, 'must be a non-negative integer');
    });
  }
  if (v.scriptSource !== undefined && !['embedded', 'command line', 'initrd', 'autoboot'].includes(v.scriptSource as string)) fail(file, 'scriptSource', 'must be embedded, command line, initrd or autoboot');
  if (v.skipped !== undefined && (!Array.isArray(v.skipped) || v.skipped.some((c: unknown) => typeof c !== 'string'))) fail(file, 'skipped', 'must list stage ids');
  if (v.consoleLines !== undefined && (!Array.isArray(v.consoleLines) || v.consoleLines.some((c: unknown) => typeof c !== 'string'))) fail(file, 'consoleLines', 'must be an array of strings (whole console lines)');
  return v as unknown as ScenarioDefinition;
}
