import { CallHandler, Controller, ExecutionContext, Get, Header, Injectable, NestInterceptor } from '@nestjs/common';
import { NatsConnectionService } from '@silo/messaging';
import type { Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Observable, tap } from 'rxjs';
import { ServiceIdentity } from '../service-identity';

/** The service's Prometheus registry: process metrics plus Silo's HTTP, RPC and NATS metrics. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly rpcRequests: Counter<'subject' | 'outcome'>;
  readonly rpcDuration: Histogram<'subject'>;

  constructor(identity: ServiceIdentity, connection: NatsConnectionService) {
    this.registry.setDefaultLabels({ service: identity.service });
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'silo_service_info',
      help: 'Always 1; labels carry the service version and instance',
      labelNames: ['version', 'instance'],
      registers: [this.registry],
    }).set({ version: identity.version, instance: identity.instance }, 1);
    new Gauge({
      name: 'silo_nats_connected',
      help: '1 when the service is connected to NATS',
      registers: [this.registry],
      collect() {
        this.set(connection.isConnected() ? 1 : 0);
      },
    });
    this.httpRequests = new Counter({
      name: 'silo_http_requests_total',
      help: 'HTTP requests served',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'silo_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    this.rpcRequests = new Counter({
      name: 'silo_rpc_requests_total',
      help: 'NATS requests handled, by subject and outcome',
      labelNames: ['subject', 'outcome'],
      registers: [this.registry],
    });
    this.rpcDuration = new Histogram({
      name: 'silo_rpc_request_duration_seconds',
      help: 'NATS request handling latency',
      labelNames: ['subject'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.registry],
    });
  }
}

/** Counts and times every HTTP request and NATS message the service handles. */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    if (context.getType() === 'rpc') {
      const subject = String(context.switchToRpc().getContext()?.getSubject?.() ?? 'unknown');
      const done = (outcome: string) => {
        this.metrics.rpcRequests.inc({ subject, outcome });
        this.metrics.rpcDuration.observe({ subject }, seconds());
      };
      return next.handle().pipe(tap({ next: () => done('ok'), error: () => done('error') }));
    }
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      this.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      this.metrics.httpDuration.observe({ method: req.method, route }, seconds());
    });
    return next.handle();
  }
}

/** `GET /metrics` in the Prometheus text format. */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
