import { join } from 'node:path';

/** Where one container's files live: `<agentHome>/containers/<taskId>/…`. */
export class ContainerLayout {
  constructor(readonly containersDir: string) {}

  dir(id: string): string {
    return join(this.containersDir, id);
  }
  bundle(id: string): string {
    return join(this.dir(id), 'bundle');
  }
  rootfs(id: string): string {
    return join(this.bundle(id), 'rootfs');
  }
  configJson(id: string): string {
    return join(this.bundle(id), 'config.json');
  }
  etcDir(id: string): string {
    return join(this.dir(id), 'etc');
  }
  logFile(id: string): string {
    return join(this.dir(id), 'container.log');
  }
  exitFile(id: string): string {
    return join(this.dir(id), 'exit.json');
  }
  monitorPidFile(id: string): string {
    return join(this.dir(id), 'monitor.pid');
  }
  recordFile(id: string): string {
    return join(this.dir(id), 'task.json');
  }
}
