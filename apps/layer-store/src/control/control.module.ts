import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module';
import { ControlController } from './control.controller';
import { ControlService } from './control.service';

@Module({
  imports: [StorageModule],
  controllers: [ControlController],
  providers: [ControlService],
})
export class ControlModule {}
