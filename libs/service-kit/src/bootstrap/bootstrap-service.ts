import type { Server } from 'node:http';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { queueGroup } from '@silo/contracts';
import type { ServiceName } from '@silo/domain';
import { NatsConnectionService, SiloNatsServer } from '@silo/messaging';
import { BaseServiceConfig } from '../config/base-service.config';
import { ConfigError, describeConfig, loadConfig } from '../config/load-config';
import { createPinoLogger, PinoNestLogger } from '../logging/pino-nest.logger';
import { siloVersion } from '../version';

export interface BootstrapOptions<C extends BaseServiceConfig> {
  service: ServiceName;
  configClass: new () => C;
  module: (config: C) => DynamicModule;
  /** HTTP port for HTTP services; omitted for NATS-only services. */
  httpPort?: (config: C) => number;
  /**
   * Queue group for this service's handlers. Default: `silo.<service>`. `false` for services whose
   * subjects are per instance (the node agent) or broadcast.
   */
  queue?: string | false;
  /**
   * Nest's JSON/urlencoded body parsers (default on). Off for services that stream request bodies
   * themselves (registry, layer store).
   */
  bodyParser?: boolean;
  env?: Record<string, string | undefined>;
}

export interface RunningService {
  app: INestApplication;
  stop(): Promise<void>;
}

/**
 * Under `npm start` the launcher sets SILO_PARENT_PID: if the launcher dies without stopping its
 * children (SIGKILL), each service notices within two seconds and stops gracefully by itself.
 */
function watchParent(env: Record<string, string | undefined>, pino: { warn(msg: string): void }, stop: () => void): void {
  const parent = Number(env['SILO_PARENT_PID']);
  if (!Number.isInteger(parent) || parent <= 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') return;
      clearInterval(timer);
      pino.warn(`launcher (pid ${parent}) is gone; stopping`);
      stop();
    }
  }, 2000);
  timer.unref();
}

/** Loads config or exits with a message naming each bad variable (exit code 2). */
export function loadConfigOrExit<C extends object>(service: string, cls: new () => C, env = process.env): C {
  try {
    return loadConfig(service, cls, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Starts one Silo service the same way for all: validated config, JSON logs, the HTTP server (if
 * any) first, then the NATS transport in the background (so /healthz answers while NATS is still
 * unreachable), and a graceful stop on SIGTERM/SIGINT: close transports, drain NATS, close the
 * database, exit 0 — or exit 1 when it takes longer than SILO_SHUTDOWN_TIMEOUT_MS.
 */
export async function bootstrapService<C extends BaseServiceConfig>(options: BootstrapOptions<C>): Promise<RunningService> {
  const config = loadConfigOrExit(options.service, options.configClass, options.env ?? process.env);
  const pino = createPinoLogger(options.service, config.logLevel);
  const logger = new PinoNestLogger(pino);
  const app = await NestFactory.create(options.module(config), { logger, abortOnError: false, bodyParser: options.bodyParser ?? true });
  const connection = app.get(NatsConnectionService);
  const queue = options.queue === false ? undefined : (options.queue ?? queueGroup(options.service));
  app.connectMicroservice({ strategy: new SiloNatsServer(connection, { queue }) }, { inheritAppConfig: true });

  pino.info({ config: describeConfig(config), version: siloVersion() }, `${options.service} starting`);
  if (options.httpPort) {
    const port = options.httpPort(config);
    await app.listen(port, config.bindHost);
    pino.info({ port, host: config.bindHost }, `${options.service} listening on http://${config.bindHost}:${port}`);
  } else {
    await app.init();
  }
  app.startAllMicroservices().then(
    () => pino.info({ nats: connection.url, queue }, `${options.service} serving on NATS`),
    (err: unknown) => pino.error({ err }, 'NATS transport failed to start'),
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      pino.info(`${options.service} stopping`);
      if (options.httpPort) {
        // Streams (SSE, followed logs, exec sockets) never end by themselves: requests in flight get
        // a second to finish, then every connection is closed so that the stop does not hang.
        const server = app.getHttpServer() as Server;
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }
      await app.close();
      pino.info(`${options.service} stopped`);
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    pino.info({ signal }, `received ${signal}`);
    const timer = setTimeout(() => {
      pino.error(`graceful shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        pino.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  watchParent(options.env ?? process.env, pino, () => onSignal('SIGTERM'));
  return { app, stop };
}
