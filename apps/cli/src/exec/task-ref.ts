import type { ServiceTask } from '@silo/contracts';
import type { ApiClient } from '../api-client/api-client';
import { enc } from '../commands/command-kit';

/**
 * A task id, or `service.slot` (`web.2`): the running task of that slot (the newest version when
 * an update runs two).
 */
export async function resolveTaskId(client: ApiClient, ref: string): Promise<string> {
  const slot = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)\.(\d+)$/.exec(ref);
  if (!slot) return ref;
  const [, service, , number] = slot;
  const { tasks } = await client.get<{ tasks: ServiceTask[] }>(`/api/v1/services/${enc(service!)}/tasks`);
  const candidates = tasks.filter((t) => t.slot === Number(number) && t.desiredState === 'running').sort((a, b) => b.version - a.version);
  const task = candidates.find((t) => t.state === 'running') ?? candidates[0];
  if (!task) throw new Error(`${service} has no task in slot ${number} (silo service ps ${service})`);
  return task.taskId;
}
