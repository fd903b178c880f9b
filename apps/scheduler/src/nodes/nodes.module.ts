import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JoinTokensModule } from '../join-tokens/join-tokens.module';
import { NodeEvents } from './node-events';
import { WriteQueue } from './write-queue';
import { NodeEntity } from './node.entity';
import { NodeRepository, TypeOrmNodeRepository } from './node.repository';
import { NodesController } from './nodes.controller';
import { NodesService } from './nodes.service';

@Module({
  imports: [TypeOrmModule.forFeature([NodeEntity]), forwardRef(() => JoinTokensModule)],
  controllers: [NodesController],
  providers: [NodesService, NodeEvents, WriteQueue, { provide: NodeRepository, useClass: TypeOrmNodeRepository }],
  exports: [NodeEvents, WriteQueue, NodeRepository],
})
export class NodesModule {}
