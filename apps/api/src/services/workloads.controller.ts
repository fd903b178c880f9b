import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res, Type } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { PrincipalView, ServiceListReply, ServiceRemoveReply, ServiceReply, ServiceSpec, ServiceTasksReply } from '@silo/contracts';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { LogsQuery } from '../logs/dto/logs.dto';
import { LOGS_QUERY_DOC } from '../logs/logs.docs';
import { LogsService } from '../logs/logs.service';
import { PendingReply, ScaleBody, ServicePatch } from './dto/services.dto';
import { WorkloadKind, WorkloadsService } from './workloads.service';

/** The same routes for `/services` and `/jobs` (a job is a service with `spec.mode: job`). */
function workloadsController(kind: WorkloadKind, path: string, tag: string): Type<unknown> {
  @ApiTags(tag)
  @ApiBearerAuth()
  @ApiBasicAuth()
  @Controller(`api/v1/${path}`)
  class WorkloadsController {
    constructor(
      readonly workloads: WorkloadsService,
      readonly logs: LogsService,
    ) {}

    @Get()
    @ApiContract({
      summary: `every ${kind} the caller may see`,
      reply: ServiceListReply,
      query: kind === 'service' ? [{ name: 'all', description: 'true: jobs too', type: 'boolean' }] : [],
    })
    list(@CurrentPrincipal() principal: PrincipalView, @Query('all') all?: string): Promise<ServiceListReply> {
      return this.workloads.list(principal, kind, all === 'true' || all === '1');
    }

    @Post()
    @HttpCode(201)
    @ApiContract({ summary: `create a ${kind}`, body: ServiceSpec, reply: ServiceReply, status: 201 })
    create(@CurrentPrincipal() principal: PrincipalView, @Body() spec: ServiceSpec): Promise<ServiceReply> {
      return this.workloads.create(principal, kind, spec);
    }

    @Get(':name')
    @ApiContract({ summary: `one ${kind}`, reply: ServiceReply })
    get(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<ServiceReply> {
      return this.workloads.get(principal, kind, name).then((service) => ({ service }));
    }

    @Put(':name')
    @ApiContract({ summary: `replace the ${kind}'s spec (a new version)`, body: ServiceSpec, reply: ServiceReply })
    replace(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string, @Body() spec: ServiceSpec): Promise<ServiceReply> {
      return this.workloads.replace(principal, kind, name, spec);
    }

    @Patch(':name')
    @ApiContract({ summary: `merge a partial spec into the ${kind}'s (JSON merge patch)`, body: ServicePatch, reply: ServiceReply })
    patch(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string, @Body() patch: Record<string, unknown>): Promise<ServiceReply> {
      return this.workloads.patch(principal, kind, name, patch);
    }

    @Post(':name/scale')
    @HttpCode(200)
    @ApiContract({ summary: 'set the number of replicas', body: ScaleBody, reply: ServiceReply })
    scale(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string, @Body() body: ScaleBody): Promise<ServiceReply> {
      return this.workloads.scale(principal, kind, name, body.replicas);
    }

    @Post(':name/rollback')
    @HttpCode(200)
    @ApiContract({ summary: 'return to the previous spec', reply: ServiceReply })
    rollback(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<ServiceReply> {
      return this.workloads.rollback(principal, kind, name);
    }

    @Delete(':name')
    @HttpCode(200)
    @ApiContract({ summary: `remove the ${kind} and its tasks`, reply: ServiceRemoveReply })
    remove(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<ServiceRemoveReply> {
      return this.workloads.remove(principal, kind, name);
    }

    @Get(':name/tasks')
    @ApiContract({ summary: `the ${kind}'s tasks (pending ones say why)`, reply: ServiceTasksReply })
    tasks(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<ServiceTasksReply> {
      return this.workloads.tasks(principal, kind, name);
    }

    @Get(':name/pending')
    @ApiContract({ summary: 'why tasks are not placed', reply: PendingReply })
    pending(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string): Promise<PendingReply> {
      return this.workloads.pending(principal, kind, name);
    }

    @Get(':name/logs')
    @ApiContract({ summary: `logs of every task of the ${kind} (NDJSON)`, produces: 'application/x-ndjson', query: LOGS_QUERY_DOC })
    async logsOf(
      @CurrentPrincipal() principal: PrincipalView,
      @Param('name') name: string,
      @Query() query: LogsQuery,
      @Req() req: Request,
      @Res() res: Response,
    ): Promise<void> {
      const { tasks } = await this.workloads.tasks(principal, kind, name);
      const sources = tasks.filter((t) => t.nodeId && t.state !== 'pending' && t.state !== 'assigned').map((t) => ({ taskId: t.taskId, nodeId: t.nodeId! }));
      await this.logs.stream(sources, query, req, res, false);
    }
  }
  Object.defineProperty(WorkloadsController, 'name', { value: kind === 'job' ? 'JobsController' : 'ServicesController' });
  return WorkloadsController;
}

export const ServicesController = workloadsController('service', 'services', 'services');
export const JobsController = workloadsController('job', 'jobs', 'jobs');
