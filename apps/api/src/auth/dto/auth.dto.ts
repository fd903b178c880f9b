import { PrincipalView, SessionCreateReply } from '@silo/contracts';
import { Type } from 'class-transformer';
import { IsString, ValidateNested } from 'class-validator';

export { SessionCreateRequest as LoginRequest, SessionRevokeReply as LogoutReply } from '@silo/contracts';

/** The session, and where this cluster's registry is (`silo image push` after `silo login`). */
export class LoginReply extends SessionCreateReply {
  /** `host:port` of the registry, as users reach it (SILO_REGISTRY_ADDRESS). */
  @IsString() registry!: string;
}

export class WhoamiReply {
  @ValidateNested() @Type(() => PrincipalView) principal!: PrincipalView;
}
