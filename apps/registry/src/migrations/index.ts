import { CreateRepository1764300000000 } from './1764300000000-create-repository';
import { DistributionMetadata1764400000000 } from './1764400000000-distribution-metadata';
import { AccountsTeams1764500000000 } from './1764500000000-accounts-teams';
import { SessionsAccountRole1764600000000 } from './1764600000000-sessions-account-role';

/** Every registry migration, oldest first. Never edit one that has shipped: add a new one. */
export const REGISTRY_MIGRATIONS = [CreateRepository1764300000000, DistributionMetadata1764400000000, AccountsTeams1764500000000, SessionsAccountRole1764600000000];
