import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { JoinTokensController } from './join-tokens.controller';

@Module({ imports: [AuthModule], controllers: [JoinTokensController] })
export class JoinTokensApiModule {}
