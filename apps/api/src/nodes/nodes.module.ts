import { Module } from '@nestjs/common';
import { JoinTokensController } from './join-tokens.controller';
import { NodesController } from './nodes.controller';
import { NodesService } from './nodes.service';

// Join tokens first: `/nodes/join-tokens` must not be taken for `/nodes/:id`.
@Module({ controllers: [JoinTokensController, NodesController], providers: [NodesService], exports: [NodesService] })
export class NodesModule {}
