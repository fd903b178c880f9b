import { Injectable } from '@nestjs/common';
import { MetricsService } from '@silo/service-kit';
import { Counter } from 'prom-client';

/** Blob bytes through the data plane, on the service's /metrics. */
@Injectable()
export class TransferMetrics {
  readonly bytesWritten: Counter;
  readonly bytesRead: Counter;

  constructor(metrics: MetricsService) {
    this.bytesWritten = new Counter({
      name: 'silo_layer_store_bytes_written_total',
      help: 'Upload bytes written to the store',
      registers: [metrics.registry],
    });
    this.bytesRead = new Counter({
      name: 'silo_layer_store_bytes_read_total',
      help: 'Blob bytes sent to clients',
      registers: [metrics.registry],
    });
  }
}
