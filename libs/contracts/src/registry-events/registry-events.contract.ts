import { MAX_REPOSITORY_NAME_LENGTH, REPOSITORY_NAME_PATTERN } from '@silo/domain';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, MaxLength, Min, MinLength } from 'class-validator';
import { DIGEST_PATTERN } from '../layer-store/layer-store.contract';

/** `silo.registry.pushed` (event): a manifest was stored (under a tag, or by digest). */
export class RegistryPushedEvent {
  @MaxLength(MAX_REPOSITORY_NAME_LENGTH) @Matches(REPOSITORY_NAME_PATTERN) repository!: string;
  @IsOptional() @IsString() tag?: string;
  @Matches(DIGEST_PATTERN) digest!: string;
  @IsInt() @Min(0) size!: number;
  @IsString() mediaType!: string;
  /** Anyone may pull the repository: subscribers may show the event outside the owning team. */
  @IsBoolean() public!: boolean;
}

/** `silo.registry.deleted` (event): a manifest (by digest, with all its tags) or one tag was deleted. */
export class RegistryDeletedEvent {
  @MaxLength(MAX_REPOSITORY_NAME_LENGTH) @Matches(REPOSITORY_NAME_PATTERN) repository!: string;
  @IsOptional() @Matches(DIGEST_PATTERN) digest?: string;
  @IsArray() @IsString({ each: true }) tags!: string[];
  @IsBoolean() public!: boolean;
}

/** What changed about an account, in `silo.registry.account-changed`. */
export const ACCOUNT_CHANGES = ['created', 'deleted', 'role', 'membership', 'session-revoked'] as const;
export type AccountChange = (typeof ACCOUNT_CHANGES)[number];

/** `silo.registry.account-changed` (event): caches keyed by account drop their entries. */
export class AccountChangedEvent {
  @IsString() @MinLength(1) name!: string;
  @IsIn(ACCOUNT_CHANGES) change!: AccountChange;
}
