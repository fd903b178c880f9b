import { Global, Module } from '@nestjs/common';
import { BodyErrors } from './body-errors';
import { NatsStreams } from './nats-streams.service';
import { Rpc } from './rpc.service';

/** The api's I/O towards the other services, shared by every feature. */
@Global()
@Module({ providers: [Rpc, NatsStreams, BodyErrors], exports: [Rpc, NatsStreams] })
export class CommonModule {}
