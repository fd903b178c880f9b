import { Module } from '@nestjs/common';
import { DashboardHosting } from './dashboard.hosting';

@Module({ providers: [DashboardHosting] })
export class DashboardModule {}
