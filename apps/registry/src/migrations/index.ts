import { CreateRepository1764300000000 } from './1764300000000-create-repository';
import { DistributionMetadata1764400000000 } from './1764400000000-distribution-metadata';

/** Every registry migration, oldest first. Never edit one that has shipped: add a new one. */
export const REGISTRY_MIGRATIONS = [CreateRepository1764300000000, DistributionMetadata1764400000000];
