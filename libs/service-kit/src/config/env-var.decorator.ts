/** Where a config field comes from: one `SILO_*` environment variable. */
export interface EnvVarBinding {
  property: string;
  name: string;
  /** Masked in error messages and `describe()` output. */
  secret: boolean;
}

const BINDINGS = new Map<Function, EnvVarBinding[]>();

/** Binds a config class field to an environment variable (the field initializer is the default). */
export function EnvVar(name: string, options: { secret?: boolean } = {}): PropertyDecorator {
  return (target, property) => {
    const ctor = target.constructor;
    const list = BINDINGS.get(ctor) ?? [];
    list.push({ property: String(property), name, secret: options.secret ?? false });
    BINDINGS.set(ctor, list);
  };
}

/** Bindings of a class and its ancestors, base first. */
export function envBindings(cls: Function): EnvVarBinding[] {
  const chain: Function[] = [];
  for (let c: Function | null = cls; c && c !== Function.prototype && c !== Object; c = Object.getPrototypeOf(c)) chain.unshift(c);
  return chain.flatMap((c) => BINDINGS.get(c) ?? []);
}
