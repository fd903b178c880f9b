import { CreateNode1764300000000 } from './1764300000000-create-node';

/** Every scheduler migration, oldest first. Never edit one that has shipped: add a new one. */
export const SCHEDULER_MIGRATIONS = [CreateNode1764300000000];
