import { CreateRepository1764300000000 } from './1764300000000-create-repository';

/** Every registry migration, oldest first. Never edit one that has shipped: add a new one. */
export const REGISTRY_MIGRATIONS = [CreateRepository1764300000000];
