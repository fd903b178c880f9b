import { SiloError } from '@silo/domain';

export class WorkloadNotFound extends SiloError {
  constructor(kind: 'service' | 'job', name: string) {
    super('NOT_FOUND', `no ${kind} ${name}`);
  }
}

export class TeamRequired extends SiloError {
  constructor(teams: string[]) {
    super('VALIDATION_FAILED', `team is required: you may deploy for teams ${teams.join(', ')}`, [
      { path: 'team', problems: [`team must be one of ${teams.join(', ')}`] },
    ]);
  }
}

export class NoWritableTeam extends SiloError {
  constructor(name: string) {
    super('DENIED', `account "${name}" may not create workloads: team role push, delete or admin in a team (or the admin role) is needed`);
  }
}

export class InvalidPatch extends SiloError {
  constructor(message: string) {
    super('VALIDATION_FAILED', message, [{ path: '', problems: [message] }]);
  }
}
