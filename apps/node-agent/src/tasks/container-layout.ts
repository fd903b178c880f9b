import { join } from 'node:path';

/**
 * Where one container's files live. What must last (task record, upper dir, logs, exit file) is
 * under `<agentHome>/containers/<taskId>/`; the bundle (config.json, the rootfs mount point) and the
 * files bound into the container (/etc/hosts …) are under `<runDir>/<taskId>/`, a tree every
 * user may traverse (0711): a hardened container's root is an unprivileged host uid, and it must
 * reach its root filesystem by path while SILO_HOME stays private (0700).
 */
export class ContainerLayout {
  constructor(
    readonly containersDir: string,
    readonly runDir: string = containersDir,
  ) {}

  runtimeDir(id: string): string {
    return join(this.runDir, id);
  }

  dir(id: string): string {
    return join(this.containersDir, id);
  }
  bundle(id: string): string {
    return join(this.runtimeDir(id), 'bundle');
  }
  rootfs(id: string): string {
    return join(this.bundle(id), 'rootfs');
  }
  configJson(id: string): string {
    return join(this.bundle(id), 'config.json');
  }
  etcDir(id: string): string {
    return join(this.runtimeDir(id), 'etc');
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
