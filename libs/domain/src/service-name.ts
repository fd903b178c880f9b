/** The Silo processes, as they name themselves in NATS subjects, logs and `silo status`. */
export const SERVICE_NAMES = ['registry', 'layer-store', 'scheduler', 'node-agent', 'api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** What `silo status` reports on: every service plus the NATS server they share. */
export const STATUS_COMPONENTS = [...SERVICE_NAMES, 'nats'] as const;
export type StatusComponent = (typeof STATUS_COMPONENTS)[number];

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}
