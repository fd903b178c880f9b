import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ExecOpenReply, ExecOpenRequest } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { randomUUID } from 'node:crypto';
import { ContainerRuntime } from '../runtime/container-runtime';
import { ExecSession } from './exec-session';
import { SessionTransport } from './session-transport';

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const MAX_EXEC_SESSIONS = 64;
/** On shutdown, how long the sessions' processes have to go before the agent goes on without them. */
const SHUTDOWN_WAIT_MS = 3000;

/** A subject a caller may name: tokens of printable characters, no wildcards. */
const SUBJECT = /^[^\s*>.]+(\.[^\s*>.]+)*$/;

/** The interactive exec sessions of this node (`silo.agent.<nodeId>.exec.open`). */
@Injectable()
export class ExecSessions implements OnApplicationShutdown {
  private readonly logger = new Logger(ExecSessions.name);
  private readonly sessions = new Map<string, ExecSession>();
  maxSessions = MAX_EXEC_SESSIONS;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly transport: SessionTransport,
  ) {}

  get count(): number {
    return this.sessions.size;
  }

  /**
   * Starts the process of REQUEST in container CONTAINERID (a running task's: the caller checks)
   * and the session around it; the reply names the subjects the session listens on.
   */
  open(nodeId: string, containerId: string, request: ExecOpenRequest): ExecOpenReply {
    if (!SUBJECT.test(request.outputSubject)) {
      throw new SiloError('VALIDATION_FAILED', `outputSubject ${JSON.stringify(request.outputSubject)} is not a NATS subject without wildcards`);
    }
    // (The contract does not say ArrayMinSize(1).)
    if (request.command.length === 0) throw new SiloError('VALIDATION_FAILED', 'command must name a program to run');
    if (this.sessions.size >= this.maxSessions) {
      throw new SiloError('TOOMANYREQUESTS', `node ${nodeId} already has ${this.sessions.size} exec sessions open (the limit is ${this.maxSessions}); close one and retry`);
    }
    const id = randomUUID();
    const base = `silo.agent.${nodeId}.exec.${id}`;
    const process = this.runtime.spawnExec(containerId, request.command, {
      tty: request.tty,
      cols: request.cols,
      rows: request.rows,
      env: request.env,
      user: request.user,
      cwd: request.workingDir,
    });
    let session: ExecSession;
    try {
      session = new ExecSession(
        {
          id,
          outputSubject: request.outputSubject,
          stdinSubject: `${base}.stdin`,
          controlSubject: `${base}.control`,
          idleTimeoutMs: request.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
          tty: request.tty,
          windowBytes: request.windowBytes,
        },
        process,
        this.transport,
        (message) => this.logger.debug(message),
      );
    } catch (err) {
      // Not connected to NATS, say: nobody could drive the process.
      process.kill();
      throw err;
    }
    this.sessions.set(id, session);
    void session.finished.finally(() => this.sessions.delete(id));
    return { sessionId: id, stdinSubject: session.options.stdinSubject, controlSubject: session.options.controlSubject };
  }

  async onApplicationShutdown(): Promise<void> {
    const open = [...this.sessions.values()];
    for (const session of open) session.close();
    await Promise.race([Promise.all(open.map((s) => s.finished)), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
  }
}
