import { Injectable } from '@nestjs/common';
import { ServiceListReply, Subjects } from '@silo/contracts';
import { Rpc } from '../common/rpc.service';

const FRESH_MS = 2000;

/**
 * Which team owns which service, for filtering events per principal: the scheduler's service list,
 * kept for two seconds (ownership, not credentials: those are verified on every request) and
 * refreshed at once when an unknown service shows up.
 */
@Injectable()
export class WorkloadOwners {
  private owners = new Map<string, string | undefined>();
  private loadedAt = 0;
  private loading?: Promise<void>;

  constructor(private readonly rpc: Rpc) {}

  async teamOf(service: string): Promise<string | undefined> {
    const age = Date.now() - this.loadedAt;
    // Unknown services (removed ones' last task events) refresh at most twice a second.
    if (age > FRESH_MS || (!this.owners.has(service) && age > 500)) await this.refresh();
    return this.owners.get(service);
  }

  private refresh(): Promise<void> {
    this.loading ??= this.rpc
      .call(Subjects.serviceList, {}, ServiceListReply)
      .then(({ services }) => {
        this.owners = new Map(services.map((s) => [s.name, s.spec.team]));
        this.loadedAt = Date.now();
      })
      .catch(() => undefined)
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}

/** `web.1.ab12` → `web` (task ids are `<service>.<slot>.<id>`). */
export function serviceOfTask(taskId: string): string | undefined {
  const dot = taskId.indexOf('.');
  return dot > 0 ? taskId.slice(0, dot) : undefined;
}
