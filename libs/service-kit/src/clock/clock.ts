import { Injectable } from '@nestjs/common';

/** The clock behind an injectable seam, so time-dependent logic is testable with a fake. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
  monotonicMs(): number {
    return performance.now();
  }
}
