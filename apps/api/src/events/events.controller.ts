import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { PrincipalView } from '@silo/contracts';
import type { Request, Response } from 'express';
import { AllowQueryToken } from '../auth/public.decorator';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { EventsQuery, EventType } from './dto/events.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @AllowQueryToken()
  @ApiQuery({ name: 'access_token', required: false, description: 'session token (browsers: EventSource cannot set headers)' })
  @ApiContract({
    summary: 'cluster events (Server-Sent Events), filtered to what the caller may see',
    produces: 'text/event-stream',
    query: [{ name: 'types', description: 'comma-separated: node, task, service, push, delete' }],
  })
  stream(@CurrentPrincipal() principal: PrincipalView, @Query() query: EventsQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.events.stream(principal, query.types?.split(',') as EventType[] | undefined, req, res);
  }
}
