import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ExecOpenReply, Subjects, validateContract } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { toErrorBody } from '@silo/service-kit';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer } from 'ws';
import { challenge, credentialsOf } from '../auth/auth.guard';
import { AuthService } from '../auth/auth.service';
import { NatsStreams } from '../common/nats-streams.service';
import { Rpc } from '../common/rpc.service';
import { TasksService } from '../tasks/tasks.service';
import { ExecBridge } from './exec-session';
import { ExecWsParams, parseExecQuery } from './exec-ws.params';

export const EXEC_WS_PATH = /^\/api\/v1\/tasks\/([^/]+)\/exec\/ws\/?$/;
/** The agent kills a session that hears nothing for this long; the bridge pings at a third of it. */
const IDLE_TIMEOUT_MS = 30_000;
/** Output a session may have in flight to the client before the process is held back (flow control). */
const EXEC_WINDOW_BYTES = 1024 * 1024;

/**
 * Interactive exec over WebSocket on Nest's HTTP server (`upgrade` of
 * `/api/v1/tasks/:id/exec/ws`): authenticated (header or `?access_token=`) and authorized (write
 * access to the task's workload) before the upgrade, so refusals are plain HTTP errors.
 */
@Injectable()
export class ExecWsGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExecWsGateway.name);
  private readonly wss = new WebSocketServer({ noServer: true });
  private server?: Server;
  private readonly listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly tasks: TasksService,
    private readonly rpc: Rpc,
    private readonly streams: NatsStreams,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    this.server?.on('upgrade', this.listener);
  }

  /** Before the HTTP server closes: open sessions end (their processes are killed). */
  beforeApplicationShutdown(): void {
    this.server?.off('upgrade', this.listener);
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = EXEC_WS_PATH.exec(url.pathname);
    if (!match) return refuse(socket, new SiloError('NOT_FOUND', `no WebSocket at ${url.pathname}`));
    const extra: Record<string, string> = {};
    let params: ExecWsParams;
    let nodeId: string;
    const taskId = decodeURIComponent(match[1]!);
    try {
      let principal;
      try {
        principal = await this.auth.verify(credentialsOf({ headers: req.headers, url: req.url }, true));
      } catch (err) {
        challenge(err, (name, value) => (extra[name] = value));
      }
      params = validateContract(ExecWsParams, parseExecQuery(url.searchParams));
      const task = await this.tasks.get(principal, taskId, 'write');
      nodeId = this.tasks.nodeOf(task);
    } catch (err) {
      return refuse(socket, err, extra);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const bridge = new ExecBridge(ws, this.streams, { tty: params.tty, keepaliveMs: IDLE_TIMEOUT_MS / 3, windowBytes: EXEC_WINDOW_BYTES });
      const outputSubject = this.streams.inbox();
      void Promise.resolve()
        .then(() => bridge.listen(outputSubject))
        .then(() => this.streams.flush())
        .then(() =>
          this.rpc.call(
            Subjects.agentExecOpen(nodeId),
            {
              taskId,
              command: params.command,
              outputSubject,
              tty: params.tty,
              cols: params.cols,
              rows: params.rows,
              idleTimeoutMs: IDLE_TIMEOUT_MS,
              windowBytes: EXEC_WINDOW_BYTES,
            },
            ExecOpenReply,
          ),
        )
        .then(
          (session) => bridge.opened(session),
          (err: unknown) => {
            const { body } = toErrorBody(err);
            this.logger.debug(`exec in ${taskId} failed to open: ${body.message}`);
            bridge.failed(body);
          },
        );
    });
  }
}

/** Answers a refused upgrade with Silo's JSON error body and the HTTP status of its code. */
function refuse(socket: Duplex, err: unknown, headers: Record<string, string> = {}): void {
  const { status, body } = toErrorBody(err);
  const json = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  // Closed from this side once written: a client that keeps its end open must not hold the server.
  socket.end(`${lines.join('\r\n')}\r\n\r\n${json}`, () => socket.destroy());
}
