import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

/** A join token's public id: 12 lowercase hex digits (the secret is never stored or listed). */
export const JOIN_TOKEN_ID_PATTERN = /^[a-f0-9]{12}$/;
/** The whole token as an admin hands it to a host: `SILO-JOIN-<id>-<secret>`. */
export const JOIN_TOKEN_PATTERN = /^SILO-JOIN-([a-f0-9]{12})-([a-f0-9]{40})$/;
export const JOIN_TOKEN_KINDS = ['admin', 'local'] as const;
export type JoinTokenKind = (typeof JOIN_TOKEN_KINDS)[number];

/** A join token as it is listed: never its secret. */
export class JoinTokenView {
  @Matches(JOIN_TOKEN_ID_PATTERN) id!: string;
  @IsString() @MaxLength(200) description!: string;
  /** `local`: the token the scheduler keeps in SILO_HOME for the agent on its own host. */
  @IsIn(JOIN_TOKEN_KINDS) kind!: JoinTokenKind;
  @IsISO8601() createdAt!: string;
  @IsOptional() @IsISO8601() expiresAt?: string | null;
  @IsOptional() @IsISO8601() revokedAt?: string | null;
  /** `valid`, `expired` or `revoked`, as of the reply. */
  @IsIn(['valid', 'expired', 'revoked']) state!: 'valid' | 'expired' | 'revoked';
  /** The nodes that registered with this token. */
  @IsArray() @IsString({ each: true }) nodeIds!: string[];
}

/** `silo.scheduler.join-token.create` (command): a new token, its secret shown this once. */
export class JoinTokenCreateRequest {
  @IsOptional() @IsString() @MaxLength(200) description?: string;
  /** Time to live in seconds; without it the token lasts until it is revoked. */
  @IsOptional() @IsInt() @Min(60) @Max(10 * 365 * 86_400) ttlSeconds?: number;
}

export class JoinTokenCreateReply {
  /** `SILO-JOIN-<id>-<secret>`: the only time the secret leaves the scheduler. */
  @Matches(JOIN_TOKEN_PATTERN) token!: string;
  @ValidateNested() @Type(() => JoinTokenView) joinToken!: JoinTokenView;
  /** The NATS URL the scheduler uses (a host joins with one it can reach). */
  @IsString() natsUrl!: string;
}

/** `silo.scheduler.join-token.list` (query). */
export class JoinTokenListRequest {}

export class JoinTokenListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => JoinTokenView) tokens!: JoinTokenView[];
}

/** `silo.scheduler.join-token.revoke` (command): registrations with it are refused from now on. */
export class JoinTokenRevokeRequest {
  @Matches(JOIN_TOKEN_ID_PATTERN, { message: 'id must be a join token id (12 hex digits)' }) id!: string;
}

export class JoinTokenRevokeReply {
  @ValidateNested() @Type(() => JoinTokenView) joinToken!: JoinTokenView;
  /** False when it was revoked already. */
  @IsBoolean() changed!: boolean;
}

/** `silo.scheduler.join-token-revoked` (event): the nodes that joined with it may be told apart. */
export class JoinTokenRevokedEvent {
  @Matches(JOIN_TOKEN_ID_PATTERN) id!: string;
  @IsArray() @IsString({ each: true }) nodeIds!: string[];
}

/** Splits a token into id and secret; undefined when it is not one. */
export function parseJoinToken(token: string): { id: string; secret: string } | undefined {
  const match = JOIN_TOKEN_PATTERN.exec(token.trim());
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}
