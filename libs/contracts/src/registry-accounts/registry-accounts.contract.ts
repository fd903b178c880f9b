import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';

/** Users (two characters or more) and robots, named `<team>+<name>` (a team name may be one character). */
export const ACCOUNT_NAME_PATTERN = /^(?:[a-z0-9][a-z0-9._-]{1,62}|[a-z0-9][a-z0-9._-]{0,62}\+[a-z0-9][a-z0-9._-]{0,62})$/;
/** Teams own the namespace `<team>/…`: a team name is a repository path component. */
export const TEAM_NAME_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
export const TEAM_ROLES = ['pull', 'push', 'delete', 'admin'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** `silo.registry.account.create` (command). A robot gets a generated token as its secret. */
export class AccountCreateRequest {
  @Matches(ACCOUNT_NAME_PATTERN, { message: 'name must be lowercase letters, digits, . _ - (robots: team+name)' }) name!: string;
  @IsIn(['user', 'robot']) kind!: 'user' | 'robot';
  /** For users; generated when omitted. */
  @IsOptional() @IsString() @MinLength(12) @MaxLength(256) password?: string;
  /** For robots: the team they act for, and with which role. */
  @ValidateIf((o: AccountCreateRequest) => o.kind === 'robot') @Matches(TEAM_NAME_PATTERN) team?: string;
  @ValidateIf((o: AccountCreateRequest) => o.kind === 'robot') @IsIn(TEAM_ROLES) role?: TeamRole;
  /** For users: the cluster-wide role (`admin`, `viewer`, `member`; default `member`). */
  @IsOptional() @IsIn(['admin', 'viewer', 'member']) accountRole?: 'admin' | 'viewer' | 'member';
}

export class AccountCreateReply {
  @IsString() name!: string;
  @IsIn(['user', 'robot']) kind!: 'user' | 'robot';
  /** The password or robot token, returned once. */
  @IsString() secret!: string;
}

/** `silo.registry.account.delete` (command): credentials stop working at once. */
export class AccountDeleteRequest {
  @Matches(ACCOUNT_NAME_PATTERN) name!: string;
}

export class AccountDeleteReply {
  @IsBoolean() deleted!: boolean;
}

/** `silo.registry.team.put` (command): creates a team or changes its quota (null: none). */
export class TeamPutRequest {
  @Matches(TEAM_NAME_PATTERN) name!: string;
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsInt() @Min(0) quotaBytes?: number | null;
}

export class TeamReply {
  @IsString() name!: string;
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsInt() quotaBytes!: number | null;
  @IsInt() @Min(0) usedBytes!: number;
}

/** `silo.registry.team.member.set` (command): role `none` removes the member. */
export class TeamMemberSetRequest {
  @Matches(TEAM_NAME_PATTERN) team!: string;
  @Matches(ACCOUNT_NAME_PATTERN) account!: string;
  @IsIn([...TEAM_ROLES, 'none']) role!: TeamRole | 'none';
}

export class TeamMemberSetReply {
  @IsString() team!: string;
  @IsString() account!: string;
  @IsString() role!: string;
}

/** `silo.registry.team.get` (query): quota and usage (bytes counted once per blob per team). */
export class TeamGetRequest {
  @Matches(TEAM_NAME_PATTERN) name!: string;
}

/** `silo.registry.repository.visibility.set` (command): public repositories allow anonymous pull. */
export class RepositoryVisibilityRequest {
  @IsString() @MinLength(1) @MaxLength(255) name!: string;
  @IsBoolean() public!: boolean;
}

export class RepositoryVisibilityReply {
  @IsString() name!: string;
  @IsBoolean() public!: boolean;
}
