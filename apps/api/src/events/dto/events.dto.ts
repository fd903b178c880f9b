import { IsOptional, Matches } from 'class-validator';

export const EVENT_TYPES = ['node', 'task', 'service', 'push', 'delete'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** `GET /api/v1/events?types=node,task&access_token=…`. */
export class EventsQuery {
  @IsOptional()
  @Matches(/^(node|task|service|push|delete)(,(node|task|service|push|delete))*$/, { message: 'types must be a comma-separated list of node, task, service, push, delete' })
  types?: string;
  /** Browsers' EventSource cannot set headers: the session token may come here. */
  @IsOptional() @Matches(/^\S{1,4096}$/) access_token?: string;
}
