import { Module } from '@nestjs/common';
import { TransferMetrics } from './transfer.metrics';

@Module({
  providers: [TransferMetrics],
  exports: [TransferMetrics],
})
export class TransferMetricsModule {}
