import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PrincipalView } from '@silo/contracts';
import { AuthenticatedRequest, CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import { AuthService, bearerToken } from './auth.service';
import { LoginReply, LoginRequest, LogoutReply, WhoamiReply } from './dto/auth.dto';
import { NotASession } from './errors/auth.errors';
import { Public } from './public.decorator';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** `silo login`: a session token for `Authorization: Bearer …`. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiContract({ body: LoginRequest, reply: LoginReply, summary: 'log in: a session token' })
  login(@Body() body: LoginRequest): Promise<LoginReply> {
    return this.auth.login(body);
  }

  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiContract({ reply: LogoutReply, summary: 'revoke the session of this request' })
  logout(@Req() req: AuthenticatedRequest): Promise<LogoutReply> {
    const token = bearerToken(req.headers.authorization);
    if (!token || req.principal?.via !== 'session') throw new NotASession();
    return this.auth.logout(token);
  }

  @Get('whoami')
  @ApiBearerAuth()
  @ApiBasicAuth()
  @ApiContract({ reply: WhoamiReply, summary: 'who this request authenticates as' })
  whoami(@CurrentPrincipal() principal: PrincipalView): WhoamiReply {
    return { principal };
  }
}
