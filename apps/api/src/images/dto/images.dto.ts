import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

export {
  ManifestDeleteReply,
  ManifestGetReply,
  RegistryGcReply,
  RepositoryDeleteReply,
  RepositoryGetReply,
  RepositoryListReply,
  RepositoryVisibilityReply,
} from '@silo/contracts';

/** `PUT /api/v1/images/:name/visibility`. */
export class VisibilityBody {
  @IsBoolean() public!: boolean;
}

export class TeamUsage {
  @IsString() name!: string;
  @IsOptional() @IsInt() quotaBytes!: number | null;
  @IsInt() @Min(0) usedBytes!: number;
}

/** `GET /api/v1/registry/usage`. */
export class UsageReply {
  @IsInt() @Min(0) totalBytes!: number;
  @IsInt() @Min(0) blobs!: number;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TeamUsage) teams!: TeamUsage[];
}
