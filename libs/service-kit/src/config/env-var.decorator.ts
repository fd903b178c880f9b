/** Where a config field comes from: one `SILO_*` environment variable. */
export interface EnvVarBinding {
  property: string;
  name: string;
  /** Masked in error messages and `describe()` output. */
  secret: boolean;
}

/** Any class (config classes take no constructor arguments, but subclasses may be abstract). */
export type AnyClass = abstract new (...args: never[]) => unknown;

const BINDINGS = new Map<AnyClass, EnvVarBinding[]>();

/** Binds a config class field to an environment variable (the field initializer is the default). */
export function EnvVar(name: string, options: { secret?: boolean } = {}): PropertyDecorator {
  return (target, property) => {
    const ctor = target.constructor as AnyClass;
    const list = BINDINGS.get(ctor) ?? [];
    list.push({ property: String(property), name, secret: options.secret ?? false });
    BINDINGS.set(ctor, list);
  };
}

/** Bindings of a class and its ancestors, base first. */
export function envBindings(cls: AnyClass): EnvVarBinding[] {
  const chain: AnyClass[] = [];
  for (let c: AnyClass | null = cls; c && (c as unknown) !== Function.prototype && (c as unknown) !== Object; c = Object.getPrototypeOf(c) as AnyClass | null) {
    chain.unshift(c);
  }
  return chain.flatMap((c) => BINDINGS.get(c) ?? []);
}
