/**
 * One health check. `check` resolves with an optional detail message when healthy and rejects
 * (or throws) with the reason when not. Checks run concurrently, each with a time limit.
 */
export interface HealthIndicator {
  readonly name: string;
  check(): Promise<string | void>;
}

export const HEALTH_INDICATORS = Symbol('HEALTH_INDICATORS');
