import { ACCOUNT_NAME_PATTERN, ACCOUNT_ROLES, AccountRole, TEAM_NAME_PATTERN, TEAM_ROLES, TeamRole } from '@silo/contracts';
import { IsIn, IsInt, IsOptional, IsString, Matches, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';

export {
  AccountCreateReply,
  AccountDeleteReply,
  AccountListReply,
  AccountView,
  TeamDeleteReply,
  TeamListReply,
  TeamMemberSetReply,
  TeamReply,
} from '@silo/contracts';

/** `POST /api/v1/users`. */
export class UserCreateBody {
  @Matches(ACCOUNT_NAME_PATTERN, { message: 'name must be 2-63 lowercase letters, digits, ".", "_" or "-"' }) name!: string;
  /** Generated (and shown once) when omitted. */
  @IsOptional() @IsString() @MinLength(12) @MaxLength(256) password?: string;
  @IsOptional() @IsIn(ACCOUNT_ROLES) role?: AccountRole;
}

/** `PATCH /api/v1/users/:name`. */
export class UserPatchBody {
  @IsIn(ACCOUNT_ROLES) role!: AccountRole;
}

/** `POST /api/v1/teams`. */
export class TeamCreateBody {
  @Matches(TEAM_NAME_PATTERN, { message: 'name must be a team name (lowercase letters and digits, separated by ".", "_" or "-")' }) name!: string;
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsInt() @Min(0) quotaBytes?: number | null;
}

/** `PATCH /api/v1/teams/:name`: `null` removes the quota. */
export class TeamPatchBody {
  @ValidateIf((_o, v) => v !== null) @IsInt() @Min(0) quotaBytes!: number | null;
}

/** `PUT /api/v1/teams/:name/members/:account`: `none` removes the member. */
export class MemberBody {
  @IsIn([...TEAM_ROLES, 'none']) role!: TeamRole | 'none';
}

/** `POST /api/v1/tokens`: a robot account `team+name` whose secret is the token. */
export class TokenCreateBody {
  @Matches(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'name must be 1-63 lowercase letters, digits, ".", "_" or "-"' }) name!: string;
  @Matches(TEAM_NAME_PATTERN, { message: 'team must be a team name' }) team!: string;
  @IsIn(TEAM_ROLES) role!: TeamRole;
}
