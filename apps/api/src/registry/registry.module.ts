import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RegistryController } from './registry.controller';

@Module({ imports: [AuthModule], controllers: [RegistryController] })
export class RegistryOpsModule {}
