import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { NodeStateEvent, PrincipalView, RegistryDeletedEvent, RegistryPushedEvent, ServiceChangedEvent, Subjects, TaskStatus, validateContract } from '@silo/contracts';
import type { Request, Response } from 'express';
import { EventSubjectRef, isAdmin, mayReceiveEvent } from '../authorization/policy';
import { NatsStreams, Unsubscribe } from '../common/nats-streams.service';
import { ApiConfig } from '../config/api.config';
import { EVENT_TYPES, EventType } from './dto/events.dto';
import { serviceOfTask, WorkloadOwners } from './workload-owners.service';

interface Translated {
  type: EventType;
  data: Record<string, unknown>;
  ref: EventSubjectRef;
}

type Translator = (raw: Record<string, unknown>) => Promise<Translated | undefined>;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** An event body checked against its contract; undefined (the event is dropped) when it breaks it. */
function parse<T extends object>(contract: new () => T, raw: Record<string, unknown>): T | undefined {
  try {
    return validateContract(contract, raw);
  } catch {
    return undefined;
  }
}

/**
 * The cluster's events as Server-Sent Events: node state, task state, service changes and
 * registry pushes/deletes, filtered per principal. One set of NATS subscriptions per client,
 * ended when the client goes.
 */
@Injectable()
export class EventsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EventsService.name);
  /** Open streams: ended when the api stops, so the HTTP server can close. */
  private readonly active = new Set<() => void>();

  constructor(
    private readonly streams: NatsStreams,
    private readonly owners: WorkloadOwners,
    private readonly config: ApiConfig,
  ) {}

  async stream(principal: PrincipalView, types: EventType[] | undefined, req: Request, res: Response): Promise<void> {
    const wanted = new Set<EventType>(types?.length ? types : EVENT_TYPES);
    const translators = this.translators(principal);
    let sequence = 0;
    let closed = false;
    let chain = Promise.resolve();
    const unsubscribes: Unsubscribe[] = [];
    const send = (text: string) => {
      if (!closed) res.write(text);
    };
    for (const [subject, type, translate] of translators) {
      if (!wanted.has(type)) continue;
      unsubscribes.push(
        this.streams.subscribe(subject, (msg) => {
          // In arrival order, even when one needs a lookup.
          chain = chain.then(async () => {
            try {
              const raw = msg.json();
              if (!raw || typeof raw !== 'object') return;
              const event = await translate(raw as Record<string, unknown>);
              if (!event || closed || !mayReceiveEvent(principal, event.ref)) return;
              sequence += 1;
              send(`id: ${sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
            } catch (err) {
              this.logger.debug(`event on ${subject} dropped: ${String(err)}`);
            }
          });
        }),
      );
    }
    const timer: { keepalive?: NodeJS.Timeout } = {};
    const finish = () => {
      if (closed) return;
      closed = true;
      this.active.delete(finish);
      if (timer.keepalive) clearInterval(timer.keepalive);
      for (const unsubscribe of unsubscribes) unsubscribe();
      if (!res.writableEnded) res.end();
    };
    this.active.add(finish);
    req.on('close', finish);
    res.on('close', finish);
    try {
      await this.streams.flush();
    } catch (err) {
      finish();
      throw err;
    }
    if (closed) return;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    send(': connected\n\n');
    timer.keepalive = setInterval(() => send(': keepalive\n\n'), this.config.keepaliveMs);
  }

  /** Streams open now. */
  get openStreams(): number {
    return this.active.size;
  }

  beforeApplicationShutdown(): void {
    for (const finish of [...this.active]) finish();
  }

  private translators(principal: PrincipalView): Array<[string, EventType, Translator]> {
    // Admins and viewers see every workload: no need to look owners up.
    const lookUp = isAdmin(principal) || principal.role === 'viewer' ? async () => undefined : (s: string) => this.owners.teamOf(s);
    return [
      [
        Subjects.nodeStateEvent,
        'node',
        async (raw) => {
          const event = parse(NodeStateEvent, raw);
          if (!event) return undefined;
          return { type: 'node', data: { nodeId: event.nodeId, state: event.state, hostname: event.hostname }, ref: { type: 'node' } };
        },
      ],
      [
        Subjects.taskStateEvent,
        'task',
        async (raw) => {
          const status = raw as unknown as TaskStatus;
          if (typeof status.taskId !== 'string') return undefined;
          const service = serviceOfTask(status.taskId);
          const team = service ? await lookUp(service) : undefined;
          return {
            type: 'task',
            data: clean({
              taskId: status.taskId,
              service,
              nodeId: status.nodeId,
              state: status.state,
              exitCode: num(status.exitCode),
              reason: str(status.reason),
              health: str(status.health),
            }),
            ref: { type: 'task', service, team },
          };
        },
      ],
      [
        Subjects.serviceEvent,
        'service',
        async (raw) => {
          const event = parse(ServiceChangedEvent, raw);
          if (!event) return undefined;
          return {
            type: 'service',
            data: clean({ name: event.name, version: event.version, rollout: event.rollout, message: event.message }),
            ref: { type: 'service', service: event.name, team: await lookUp(event.name) },
          };
        },
      ],
      [
        Subjects.registryPushedEvent,
        'push',
        async (raw) => {
          const event = parse(RegistryPushedEvent, raw);
          if (!event) return undefined;
          const { repository } = event;
          return {
            type: 'push',
            data: clean({ repository, tag: event.tag, digest: event.digest, size: event.size, mediaType: event.mediaType }),
            ref: { type: 'push', repository, public: event.public },
          };
        },
      ],
      [
        Subjects.registryDeletedEvent,
        'delete',
        async (raw) => {
          const event = parse(RegistryDeletedEvent, raw);
          if (!event) return undefined;
          const { repository, tags } = event;
          return {
            type: 'delete',
            data: clean({ repository, digest: event.digest, tag: tags[0], tags: tags.length ? tags : undefined }),
            ref: { type: 'delete', repository, public: event.public },
          };
        },
      ],
    ];
  }
}
