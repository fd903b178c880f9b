import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, MaxLength, Min, MinLength, ValidateNested, Max } from 'class-validator';
import { ACCOUNT_NAME_PATTERN, TEAM_NAME_PATTERN, TEAM_ROLES, TeamRole } from '../registry-accounts/registry-accounts.contract';

/**
 * The registry is the one authority on who someone is (it keeps users, teams, robot tokens and
 * sessions); the api asks it on every request, so a revoked token or deleted account stops working
 * at once. Queries on `silo.registry.auth.*` / `silo.registry.session.*` (queue group silo.registry).
 */

/** Cluster-wide role of an account: admins do everything, viewers read everything, members act in their teams. */
export const ACCOUNT_ROLES = ['admin', 'viewer', 'member'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

export class TeamMembership {
  @Matches(TEAM_NAME_PATTERN) team!: string;
  @IsIn(TEAM_ROLES) role!: TeamRole;
}

/** Who a request comes from. The generated admin is `{ kind: 'admin', role: 'admin' }`. */
export class PrincipalView {
  @IsIn(['admin', 'user', 'robot']) kind!: 'admin' | 'user' | 'robot';
  @IsString() name!: string;
  @IsIn(ACCOUNT_ROLES) role!: AccountRole;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TeamMembership) teams!: TeamMembership[];
  /** How the request authenticated. */
  @IsIn(['basic', 'session', 'registry-token']) via!: 'basic' | 'session' | 'registry-token';
  @IsOptional() @IsISO8601() expiresAt?: string;
}

/**
 * `silo.registry.auth.verify` (query): an HTTP `Authorization` header value — `Basic` (user and
 * password, robot name and token, or the generated admin), `Bearer <session token>` from
 * `silo login`, or `Bearer <registry JWT>` from the token flow. Errors: `UNAUTHORIZED` (unknown,
 * wrong or revoked), `SESSION_EXPIRED` (a session or JWT past its expiry).
 */
export class AuthVerifyRequest {
  @IsString() @MinLength(1) @MaxLength(8192) authorization!: string;
}

export class AuthVerifyReply {
  @ValidateNested() @Type(() => PrincipalView) principal!: PrincipalView;
}

/** `silo.registry.session.create` (command): `silo login`. Wrong credentials → `UNAUTHORIZED`. */
export class SessionCreateRequest {
  @Matches(/^[a-z0-9][a-z0-9._+-]{0,127}$/, { message: 'username is not a valid account name' }) username!: string;
  @IsString() @MinLength(1) @MaxLength(4096) password!: string;
  /** Default 12 h; at most 30 days. */
  @IsOptional() @IsInt() @Min(60) @Max(30 * 24 * 3600) ttlSeconds?: number;
}

export class SessionCreateReply {
  /** Opaque; shown once; stored only as a hash. */
  @IsString() token!: string;
  @IsISO8601() expiresAt!: string;
  @ValidateNested() @Type(() => PrincipalView) principal!: PrincipalView;
}

/** `silo.registry.session.revoke` (command): `silo logout`. */
export class SessionRevokeRequest {
  @IsString() @MinLength(1) @MaxLength(512) token!: string;
}

export class SessionRevokeReply {
  @IsInt() revoked!: number;
}

/** `silo.registry.account.list` (query). */
export class AccountListRequest {
  @IsOptional() @IsIn(['user', 'robot']) kind?: 'user' | 'robot';
  @IsOptional() @Matches(TEAM_NAME_PATTERN) team?: string;
}

export class AccountView {
  @Matches(ACCOUNT_NAME_PATTERN) name!: string;
  @IsIn(['user', 'robot']) kind!: 'user' | 'robot';
  @IsIn(ACCOUNT_ROLES) role!: AccountRole;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TeamMembership) teams!: TeamMembership[];
  @IsISO8601() createdAt!: string;
}

export class AccountListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => AccountView) accounts!: AccountView[];
}

/** `silo.registry.account.role.set` (command): a user's cluster-wide role. */
export class AccountRoleSetRequest {
  @Matches(ACCOUNT_NAME_PATTERN) name!: string;
  @IsIn(ACCOUNT_ROLES) role!: AccountRole;
}

/** `silo.registry.team.list` (query): every team with quota, usage and members. */
export class TeamListRequest {}

export class TeamMemberView {
  @IsString() account!: string;
  @IsIn(TEAM_ROLES) role!: TeamRole;
}

export class TeamView {
  @IsString() name!: string;
  @IsOptional() quotaBytes!: number | null;
  @IsInt() @Min(0) usedBytes!: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TeamMemberView) members!: TeamMemberView[];
  @IsISO8601() createdAt!: string;
}

export class TeamListReply {
  @IsArray() @ValidateNested({ each: true }) @Type(() => TeamView) teams!: TeamView[];
}

/** `silo.registry.team.delete` (command): members lose their role; repositories stay. */
export class TeamDeleteRequest {
  @Matches(TEAM_NAME_PATTERN) name!: string;
}

export class TeamDeleteReply {
  @IsInt() deleted!: number;
}
