import { Injectable } from '@nestjs/common';
import { namespaceOf } from '../auth/access-policy';
import { AccountDirectory } from './account-directory';
import { QuotaExceeded } from './errors/account.errors';

/**
 * Team storage quotas: a blob counts once per team, however many of its repositories link it.
 * Checked before a blob is linked (upload or mount); concurrent pushes may overshoot by the
 * blobs in flight, never more.
 */
@Injectable()
export class QuotaService {
  constructor(private readonly directory: AccountDirectory) {}

  async check(repository: string, digest: string, size: number): Promise<void> {
    const teamName = namespaceOf(repository);
    if (!teamName) return;
    const team = await this.directory.team(teamName);
    if (!team || team.quotaBytes === null) return;
    if (await this.directory.counted(teamName, digest)) return;
    const used = await this.directory.usage(teamName);
    if (used + size > team.quotaBytes) throw new QuotaExceeded(teamName, team.quotaBytes, used, size);
  }

  /** Bytes the team uses: its repositories' distinct blobs, each counted once. */
  usage(team: string): Promise<number> {
    return this.directory.usage(team);
  }

  /** Before a push starts: refuse at once when the team is already at or over its quota. */
  async admit(repository: string): Promise<void> {
    await this.check(repository, '', 1);
  }
}
