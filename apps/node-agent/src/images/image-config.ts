import { InvalidImage } from './errors/image-errors';
import { ImageConfig, Platform } from './oci-types';

/** The parts of an image config that make a container, with the image's defaults filled in. */
export interface ImageConfigSummary {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  /** `8080/tcp`, `53/udp` (a bare port is tcp). */
  exposedPorts: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  /** sha256 of each uncompressed layer, base first. */
  diffIds: string[];
  platform: Platform;
}

export function summarizeConfig(config: ImageConfig): ImageConfigSummary {
  const c = config.config ?? {};
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (!Array.isArray(diffIds) || diffIds.some((d) => typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d))) {
    throw new InvalidImage('the image config lists invalid rootfs.diff_ids');
  }
  const strings = (v: unknown, field: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidImage(`the image config's ${field} is not a list of strings`);
    return v as string[];
  };
  return {
    entrypoint: strings(c.Entrypoint, 'Entrypoint'),
    cmd: strings(c.Cmd, 'Cmd'),
    env: strings(c.Env, 'Env'),
    workingDir: c.WorkingDir || '/',
    user: c.User ?? '',
    exposedPorts: Object.keys(c.ExposedPorts ?? {})
      .map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`))
      .sort(),
    labels: { ...(c.Labels ?? {}) },
    ...(c.StopSignal ? { stopSignal: c.StopSignal } : {}),
    diffIds,
    platform: { os: config.os ?? 'linux', architecture: config.architecture ?? '', ...(config.variant ? { variant: config.variant } : {}) },
  };
}
