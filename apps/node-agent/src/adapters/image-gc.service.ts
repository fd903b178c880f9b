import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ImageComponents } from '../images/image-components';
import { TaskSetService } from '../tasks/task-set.service';
import { IMAGE_COMPONENTS } from './tokens';

const GC_INTERVAL_MS = 5 * 60_000;

/** Runs the image and snapshot garbage collector periodically, sparing the desired tasks' images. */
@Injectable()
export class ImageGcService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ImageGcService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(IMAGE_COMPONENTS) private readonly images: ImageComponents,
    private readonly tasks: TaskSetService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.collect(), GC_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async collect(): Promise<void> {
    const keepImages = this.tasks
      .statuses()
      .map((s) => s.imageDigest)
      .filter((d): d is string => d !== undefined);
    try {
      const decision = await this.images.gc.collect({ keepImages });
      if (decision.removeImages.length + decision.removeSnapshots.length > 0) {
        this.logger.log(`image gc: removed ${decision.removeImages.length} image(s), ${decision.removeSnapshots.length} snapshot(s), ${decision.freedBytes} bytes`);
      }
    } catch (err) {
      this.logger.warn(`image gc failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
