import { CreateNode1764300000000 } from './1764300000000-create-node';
import { CreateServices1764400000000 } from './1764400000000-create-services';
import { CreateJoinTokens1764500000000 } from './1764500000000-create-join-tokens';
import { JobOutcome1764600000000 } from './1764600000000-job-outcome';

/** Every scheduler migration, oldest first. Never edit one that has shipped: add a new one. */
export const SCHEDULER_MIGRATIONS = [CreateNode1764300000000, CreateServices1764400000000, CreateJoinTokens1764500000000, JobOutcome1764600000000];
