import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NodeEvents } from './node-events';
import { NodeEntity } from './node.entity';
import { NodeRepository, TypeOrmNodeRepository } from './node.repository';
import { NodesController } from './nodes.controller';
import { NodesService } from './nodes.service';

@Module({
  imports: [TypeOrmModule.forFeature([NodeEntity])],
  controllers: [NodesController],
  providers: [NodesService, NodeEvents, { provide: NodeRepository, useClass: TypeOrmNodeRepository }],
  exports: [NodeEvents],
})
export class NodesModule {}
