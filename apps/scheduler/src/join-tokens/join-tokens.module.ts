import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NodesModule } from '../nodes/nodes.module';
import { JoinTokenEntity } from './join-token.entity';
import { JoinTokenRepository, TypeOrmJoinTokenRepository } from './join-token.repository';
import { JoinTokensController } from './join-tokens.controller';
import { JoinTokensService } from './join-tokens.service';

/** Join tokens; its writes share the nodes' WriteQueue (one SQLite connection). */
@Module({
  imports: [TypeOrmModule.forFeature([JoinTokenEntity]), forwardRef(() => NodesModule)],
  controllers: [JoinTokensController],
  providers: [JoinTokensService, { provide: JoinTokenRepository, useClass: TypeOrmJoinTokenRepository }],
  exports: [JoinTokensService],
})
export class JoinTokensModule {}
