import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import express, { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiConfig } from '../config/api.config';

/** Paths the dashboard never answers: the API (404 as JSON there), the docs, the probes. */
const NOT_DASHBOARD = /^\/(api|healthz|metrics)(\/|$)/;

export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Silo</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Silo</h1>
<p>The dashboard is not built. Build it (<code>npm run build</code>) or point <code>SILO_DASHBOARD_DIR</code> at its build directory.</p>
<p>The API answers under <a href="/api/v1/health">/api/v1</a>; its documentation is at <a href="/api/docs">/api/docs</a>.</p>
</body></html>
`;

/**
 * Serves the web dashboard's build directory at `/` (no credentials: the dashboard logs in through
 * the API), with single-page-app fallback to index.html for GET paths outside /api. Mounted while
 * the app initializes, after Nest's routes and before its 404 handler; the directory is looked up
 * on each request, so a dashboard built while the api runs is served at once.
 */
@Injectable()
export class DashboardHosting implements OnModuleInit {
  private readonly logger = new Logger(DashboardHosting.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: ApiConfig,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const dir = this.config.dashboardDir;
    const files = express.static(dir, { index: ['index.html'], fallthrough: true, maxAge: 0 });
    if (!existsSync(join(dir, 'index.html'))) this.logger.warn(`no dashboard in ${dir}: / answers a "not built" page`);
    adapter.use((req: Request, res: Response, next: NextFunction) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_DASHBOARD.test(req.path)) return next();
      const index = join(dir, 'index.html');
      if (!existsSync(index)) {
        res.status(200).type('html').send(NOT_BUILT_PAGE);
        return;
      }
      files(req, res, () => {
        res.setHeader('Cache-Control', 'no-cache');
        res.sendFile(index, (err) => {
          if (err) next(err);
        });
      });
    });
  }
}
