import { SiloError } from '@silo/domain';

export class QuotaExceeded extends SiloError {
  constructor(team: string, quota: number, used: number, needed: number) {
    super('DENIED', `quota exceeded for team ${team}: ${used} of ${quota} bytes used, this blob needs ${needed} more`, {
      team,
      quotaBytes: quota,
      usedBytes: used,
      neededBytes: needed,
    });
  }
}

export class TeamUnknown extends SiloError {
  constructor(team: string) {
    super('NOT_FOUND', `team ${team} does not exist`, { team });
  }
}

export class AccountUnknown extends SiloError {
  constructor(account: string) {
    super('NOT_FOUND', `account ${account} does not exist`, { account });
  }
}
