import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { AgentLogsReply, LogLine, Subjects } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import type { Request, Response } from 'express';
import { NatsStreams, Unsubscribe } from '../common/nats-streams.service';
import { Rpc } from '../common/rpc.service';
import { ApiConfig } from '../config/api.config';
import { isTrue, LogsQuery } from './dto/logs.dto';

export interface LogSource {
  taskId: string;
  nodeId: string;
}

interface Tagged extends LogLine {
  task: string;
}

/**
 * Streams task logs from the agents as NDJSON: `{ task, time, stream, text }` per line. Several
 * tasks (a service) are merged by time; with `follow`, new lines arrive from the agents on one
 * inbox (the agent's `followSubject` protocol) until the client disconnects or every agent ends.
 */
@Injectable()
export class LogsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LogsService.name);
  /** Followed streams still open: ended when the api stops, so the HTTP server can close. */
  private readonly active = new Set<() => void>();

  constructor(
    private readonly rpc: Rpc,
    private readonly streams: NatsStreams,
    private readonly config: ApiConfig,
  ) {}

  /**
   * STRICT: a failing agent fails the request (one task asked for); otherwise its task is left
   * out (a service's task that has gone from its node).
   */
  async stream(sources: LogSource[], query: LogsQuery, req: Request, res: Response, strict: boolean): Promise<void> {
    const follow = isTrue(query.follow);
    const base = { tail: query.tail !== undefined ? Number(query.tail) : undefined, since: query.since };
    const inbox = follow ? this.streams.inbox() : undefined;
    const pending: Array<{ lines: Tagged[] }> = [];
    let open = new Set<string>();
    let unsubscribe: Unsubscribe | undefined;
    let closed = false;
    let keepalive: NodeJS.Timeout | undefined;
    let lastWrite = Date.now();
    const write = (lines: Tagged[]) => {
      if (closed || lines.length === 0) return;
      lastWrite = Date.now();
      res.write(lines.map((l) => `${JSON.stringify({ task: l.task, time: l.time, stream: l.stream, text: l.text })}\n`).join(''));
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      this.active.delete(finish);
      unsubscribe?.();
      if (keepalive) clearInterval(keepalive);
      if (!res.writableEnded) res.end();
    };

    if (inbox) {
      this.active.add(finish);
      req.on('close', finish);
      res.on('close', finish);
      // Subscribe before asking, so no followed line is lost; buffer until the first chunks are out.
      let ready = false;
      const early: Tagged[] = [];
      unsubscribe = this.streams.subscribe(inbox, (msg) => {
        let chunk: AgentLogsReply;
        try {
          chunk = msg.json() as AgentLogsReply;
        } catch {
          return;
        }
        const lines = (chunk.lines ?? []).map((l) => ({ ...l, task: chunk.taskId }));
        if (lines.length) lastTime.set(chunk.taskId, lines[lines.length - 1]!.time);
        if (!ready) early.push(...lines);
        else write(lines);
        if (chunk.end) void renew(chunk.taskId);
      });
      // The agents follow for `logFollowMs` at a time (so a follower that vanished costs them little):
      // while the client stays, each ended follow is asked again from its last line on.
      const lastTime = new Map<string, string>();
      const since = new Date().toISOString();
      const renew = async (taskId: string) => {
        const source = sources.find((s) => s.taskId === taskId);
        if (!closed && source) {
          try {
            const reply = await this.rpc.call(
              Subjects.agentLogs(source.nodeId),
              { taskId, since: lastTime.get(taskId) ?? since, followSubject: inbox, followMs: this.config.logFollowMs },
              AgentLogsReply,
            );
            const lines = reply.lines.map((l) => ({ ...l, task: taskId }));
            if (lines.length) lastTime.set(taskId, lines[lines.length - 1]!.time);
            if (ready) write(lines);
            else early.push(...lines);
            if (!reply.end) return;
          } catch (err) {
            this.logger.debug(`logs of ${taskId} end: ${String(err)}`);
          }
        }
        open.delete(taskId);
        if (ready && open.size === 0) finish();
      };
      try {
        await this.streams.flush();
        open = new Set(await this.first(sources, base, inbox, strict, pending));
        for (const line of pending.flatMap((p) => p.lines)) if ((lastTime.get(line.task) ?? '') < line.time) lastTime.set(line.task, line.time);
      } catch (err) {
        this.active.delete(finish);
        closed = true;
        unsubscribe();
        throw err;
      }
      if (closed) return; // the client went away while the agents answered
      this.begin(res);
      write(sortByTime(pending.flatMap((p) => p.lines)));
      ready = true;
      write(early);
      if (open.size === 0) return finish();
      keepalive = setInterval(() => {
        if (Date.now() - lastWrite >= this.config.keepaliveMs && !closed) {
          lastWrite = Date.now();
          res.write('{"keepalive":true}\n');
        }
      }, Math.max(25, Math.floor(this.config.keepaliveMs / 2)));
      return;
    }
    await this.first(sources, base, undefined, strict, pending);
    this.begin(res);
    write(sortByTime(pending.flatMap((p) => p.lines)));
    finish();
  }

  /** Streams open now. */
  get openStreams(): number {
    return this.active.size;
  }

  beforeApplicationShutdown(): void {
    for (const finish of [...this.active]) finish();
  }

  /** The first chunk of every source; the ids of those that are now being followed. */
  private async first(
    sources: LogSource[],
    base: { tail?: number; since?: string },
    inbox: string | undefined,
    strict: boolean,
    out: Array<{ lines: Tagged[] }>,
  ): Promise<string[]> {
    const follow = inbox ? { followSubject: inbox, followMs: this.config.logFollowMs } : {};
    const results = await Promise.allSettled(
      sources.map((s) =>
        this.rpc.call(Subjects.agentLogs(s.nodeId), { taskId: s.taskId, ...base, ...follow }, AgentLogsReply).then((reply) => {
          out.push({ lines: reply.lines.map((l) => ({ ...l, task: s.taskId })) });
          return s.taskId;
        }),
      ),
    );
    const followed: string[] = [];
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') followed.push(result.value);
      else if (strict) throw result.reason instanceof SiloError ? result.reason : new SiloError('UNAVAILABLE', String(result.reason));
      else this.logger.debug(`logs of ${sources[i]!.taskId} left out: ${String(result.reason)}`);
    }
    return followed;
  }

  private begin(res: Response): void {
    res.status(200);
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
  }
}

function sortByTime(lines: Tagged[]): Tagged[] {
  return lines.map((l, i) => ({ l, i })).sort((a, b) => (a.l.time < b.l.time ? -1 : a.l.time > b.l.time ? 1 : a.i - b.i)).map((x) => x.l);
}
