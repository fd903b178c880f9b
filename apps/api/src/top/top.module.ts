import { Module } from '@nestjs/common';
import { TopController } from './top.controller';
import { TopUsageService } from './top.service';

@Module({ controllers: [TopController], providers: [TopUsageService] })
export class TopModule {}
