import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class UnknownUserError extends Error {}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 7 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

function parseGroup(text: string): { name: string; gid: number; members: string[] }[] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]!))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }));
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Resolves a Docker-style user (`uid`, `uid:gid`, `name`, `name:group`, empty = root) against the
 * container's own /etc/passwd and /etc/group, as Docker does: names must exist there, numbers need not.
 */
export function resolveContainerUser(rootfs: string, user: string): ResolvedUser {
  const passwd = parsePasswd(readOptional(join(rootfs, 'etc/passwd')));
  const groups = parseGroup(readOptional(join(rootfs, 'etc/group')));
  const [userPart = '', groupPart] = user.split(':', 2);
  let uid = 0;
  let gid = 0;
  let name: string | undefined = 'root';
  let home = '/';
  if (userPart !== '') {
    if (/^\d+$/.test(userPart)) {
      uid = Number(userPart);
      const entry = passwd.find((p) => p.uid === uid);
      gid = entry?.gid ?? 0;
      name = entry?.name;
      home = entry?.home ?? '/';
    } else {
      const entry = passwd.find((p) => p.name === userPart);
      if (!entry) throw new UnknownUserError(`user "${userPart}" is not in the image's /etc/passwd`);
      ({ uid, gid, home } = entry);
      name = entry.name;
    }
  } else {
    home = passwd.find((p) => p.uid === 0)?.home ?? '/root';
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const group = groups.find((g) => g.name === groupPart);
      if (!group) throw new UnknownUserError(`group "${groupPart}" is not in the image's /etc/group`);
      gid = group.gid;
    }
  }
  const additionalGids = name ? groups.filter((g) => g.members.includes(name!) && g.gid !== gid).map((g) => g.gid) : [];
  return { uid, gid, additionalGids, home };
}
