import { flattenValidationErrors } from '@silo/contracts';
import { validateSync } from 'class-validator';
import { AnyClass, envBindings } from './env-var.decorator';

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** The declared type, or, when the field has no annotation (`port = 5000`), its default's type. */
function fieldType(cls: AnyClass, property: string, fallback: unknown): unknown {
  const declared: unknown = Reflect.getMetadata('design:type', cls.prototype, property);
  if (declared === Number || declared === Boolean || declared === String) return declared;
  if (typeof fallback === 'number') return Number;
  if (typeof fallback === 'boolean') return Boolean;
  return String;
}

function convert(raw: string, type: unknown): unknown {
  if (type === Number) return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (type === Boolean) {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return raw;
  }
  return raw;
}

/**
 * Builds a typed config object from `SILO_*` variables: field initializers are the defaults,
 * values are converted by the field's declared type, then validated with class-validator.
 * Every problem is reported at once, naming the variable and its value.
 */
export function loadConfig<T extends object>(service: string, cls: new () => T, env: Env = process.env): T {
  const config = new cls() as Record<string, unknown>;
  const bindings = envBindings(cls);
  const raw = new Map<string, string>();
  for (const binding of bindings) {
    const value = env[binding.name];
    if (value === undefined || value === '') continue;
    raw.set(binding.property, value);
    config[binding.property] = convert(value, fieldType(cls, binding.property, config[binding.property]));
  }
  const errors = validateSync(config, { forbidUnknownValues: false, stopAtFirstError: true, validationError: { target: false } });
  if (errors.length > 0) {
    const problems = flattenValidationErrors(errors).map(({ path, problems: messages }) => {
      const binding = bindings.find((b) => b.property === path);
      const name = binding?.name ?? path;
      const given = raw.has(path) ? (binding?.secret ? '(secret)' : JSON.stringify(raw.get(path))) : '(default)';
      const text = messages.map((m) => (m.startsWith(path) ? m.replace(path, name) : `${name} ${m}`)).join('; ');
      return `${name}=${given}: ${text}`;
    });
    throw new ConfigError(service, problems);
  }
  return config as T;
}

/** For the start-up log: each variable and its effective value, secrets masked. */
export function describeConfig(config: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const binding of envBindings(config.constructor as AnyClass)) {
    out[binding.name] = binding.secret ? '***' : (config as Record<string, unknown>)[binding.property];
  }
  return out;
}
