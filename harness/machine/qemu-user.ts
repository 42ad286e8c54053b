import { readFileSync } from 'node:fs';
import { BootchainError } from '../errors.ts';

/** The unprivileged account QEMU drops to (uid/gid as `-runas uid:gid` takes them). */
export interface QemuUser {
  user: string;
  uid: number;
  gid: number;
}

/** Default account when the harness runs as root; `BOOTCHAIN_QEMU_USER` names a dedicated one instead. */
export const DEFAULT_QEMU_USER = 'nobody';

/**
 * Looks `name` up in the passwd file ("uid:gid" is taken as it is). Root (uid 0 or gid 0) is refused: the
 * point is to leave it.
 */
export function lookUpQemuUser(name: string, passwd = '/etc/passwd'): QemuUser {
  const bad = (why: string): BootchainError =>
    new BootchainError('QEMU_USER_INVALID', `QEMU's unprivileged user "${name}" ${why}`,
      `create the account (useradd --system --no-create-home ${/^\d/.test(name) ? 'bootchain-qemu' : name}) or set BOOTCHAIN_QEMU_USER to an existing unprivileged user`);
  let found: QemuUser | null = null;
  const numeric = /^(\d+):(\d+)$/.exec(name);
  if (numeric) found = { user: name, uid: Number(numeric[1]), gid: Number(numeric[2]) };
  else {
    let text = '';
    try {
      text = readFileSync(passwd, 'utf8');
    } catch (e) {
      throw bad(`cannot be looked up: ${(e as Error).message}`);
    }
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) found = { user: name, uid: Number(f[2]), gid: Number(f[3]) };
    }
  }
  if (!found || !Number.isInteger(found.uid) || !Number.isInteger(found.gid)) throw bad(`is not in ${passwd}`);
  if (found.uid === 0 || found.gid === 0) throw bad('is root (uid or gid 0)');
  return found;
}

let cached: { name: string; user: QemuUser } | null = null;

/** The user QEMU runs as when the harness is root (looked up once per name), or null when it is not root. */
export function qemuUserFor(runAs: string | undefined, isRoot = process.getuid?.() === 0): QemuUser | null {
  if (!isRoot) return null;
  const name = runAs ?? process.env['BOOTCHAIN_QEMU_USER'] ?? DEFAULT_QEMU_USER;
  if (cached?.name !== name) cached = { name, user: lookUpQemuUser(name) };
  return cached.user;
}
