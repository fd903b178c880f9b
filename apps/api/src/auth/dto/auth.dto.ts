import { PrincipalView } from '@silo/contracts';
import { Type } from 'class-transformer';
import { ValidateNested } from 'class-validator';

export { SessionCreateRequest as LoginRequest, SessionCreateReply as LoginReply, SessionRevokeReply as LogoutReply } from '@silo/contracts';

export class WhoamiReply {
  @ValidateNested() @Type(() => PrincipalView) principal!: PrincipalView;
}
