import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { PrincipalView } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { LogsQuery } from '../logs/dto/logs.dto';
import { LOGS_QUERY_DOC } from '../logs/logs.docs';
import { LogsService } from '../logs/logs.service';
import { ExecBody, ExecReply, TaskListQuery, TaskListReply, TaskReply } from './dto/tasks.dto';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('api/v1/tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly logs: LogsService,
  ) {}

  @Get()
  @ApiContract({
    summary: 'tasks of every service the caller may see',
    reply: TaskListReply,
    query: [
      { name: 'service', description: 'only this service' },
      { name: 'node', description: 'only this node' },
    ],
  })
  list(@CurrentPrincipal() principal: PrincipalView, @Query() query: TaskListQuery): Promise<TaskListReply> {
    return this.tasks.list(principal, query);
  }

  @Get(':id')
  @ApiContract({ summary: 'one task', reply: TaskReply })
  async get(@CurrentPrincipal() principal: PrincipalView, @Param('id') id: string): Promise<TaskReply> {
    return { task: await this.tasks.get(principal, id) };
  }

  @Get(':id/logs')
  @ApiContract({ summary: "one task's logs (NDJSON)", produces: 'application/x-ndjson', query: LOGS_QUERY_DOC })
  async logsOf(
    @CurrentPrincipal() principal: PrincipalView,
    @Param('id') id: string,
    @Query() query: LogsQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const task = await this.tasks.get(principal, id);
    await this.logs.stream([{ taskId: task.taskId, nodeId: this.tasks.nodeOf(task) }], query, req, res, true);
  }

  /** Documents the WebSocket; the upgrade itself is handled by ExecWsGateway before Nest's routing. */
  @Get(':id/exec/ws')
  @ApiContract({
    summary: 'interactive exec over WebSocket (see API.md, Exec): connect with Upgrade: websocket',
    query: [
      { name: 'command', description: 'the command and its arguments, repeated', required: true, isArray: true },
      { name: 'tty', description: '1: with a terminal (output merged)', type: 'boolean' },
      { name: 'cols', description: 'terminal width', type: 'integer' },
      { name: 'rows', description: 'terminal height', type: 'integer' },
      { name: 'access_token', description: 'session token (browsers cannot set headers on WebSockets)' },
    ],
  })
  execWs(): never {
    throw new SiloError('VALIDATION_FAILED', 'this is a WebSocket endpoint: connect with "Upgrade: websocket"', undefined, 426);
  }

  @Post(':id/exec')
  @HttpCode(200)
  @ApiContract({ summary: 'run a command in the task (non-interactive)', body: ExecBody, reply: ExecReply })
  exec(@CurrentPrincipal() principal: PrincipalView, @Param('id') id: string, @Body() body: ExecBody): Promise<ExecReply> {
    return this.tasks.exec(principal, id, body);
  }
}
