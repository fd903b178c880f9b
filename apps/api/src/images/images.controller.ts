import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiParam, ApiTags } from '@nestjs/swagger';
import { PrincipalView } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { CurrentPrincipal } from '../common/principal';
import { ApiContract } from '../docs/api-contract.decorator';
import {
  ManifestDeleteReply,
  ManifestGetReply,
  RegistryGcReply,
  RepositoryDeleteReply,
  RepositoryGetReply,
  RepositoryListReply,
  RepositoryVisibilityReply,
  UsageReply,
  VisibilityBody,
} from './dto/images.dto';
import { ImagesService } from './images.service';

/** `*name` matches one or more path segments (`red/app`, or `red%2Fapp` URL-encoded). */
function repositoryName(name: string | string[]): string {
  const joined = Array.isArray(name) ? name.join('/') : name;
  if (!joined) throw new SiloError('NAME_INVALID', 'a repository name is required');
  return joined;
}

const NAME_PARAM = ApiParam({ name: 'name', description: 'repository name; contains "/" (raw or URL-encoded)' });

@ApiTags('images')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('api/v1')
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  @Get('images')
  @ApiContract({ summary: 'repositories the caller may read', reply: RepositoryListReply })
  list(@CurrentPrincipal() principal: PrincipalView): Promise<RepositoryListReply> {
    return this.images.list(principal);
  }

  // The longer patterns first: `*name` would take `…/manifests/x` too.
  @Get('images/*name/manifests/:reference')
  @NAME_PARAM
  @ApiContract({ summary: 'a manifest by tag or digest', reply: ManifestGetReply })
  manifest(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string | string[], @Param('reference') reference: string): Promise<ManifestGetReply> {
    return this.images.manifest(principal, repositoryName(name), reference);
  }

  @Delete('images/*name/manifests/:reference')
  @HttpCode(200)
  @NAME_PARAM
  @ApiContract({ summary: 'by tag: untag; by digest: delete the manifest and its tags', reply: ManifestDeleteReply })
  deleteManifest(
    @CurrentPrincipal() principal: PrincipalView,
    @Param('name') name: string | string[],
    @Param('reference') reference: string,
  ): Promise<ManifestDeleteReply> {
    return this.images.deleteManifest(principal, repositoryName(name), reference);
  }

  @Put('images/*name/visibility')
  @NAME_PARAM
  @ApiContract({ summary: 'public repositories allow anonymous pull (team admin)', body: VisibilityBody, reply: RepositoryVisibilityReply })
  visibility(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string | string[], @Body() body: VisibilityBody): Promise<RepositoryVisibilityReply> {
    return this.images.visibility(principal, repositoryName(name), body.public);
  }

  @Get('images/*name')
  @NAME_PARAM
  @ApiContract({ summary: 'a repository with its tags', reply: RepositoryGetReply })
  get(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string | string[]): Promise<RepositoryGetReply> {
    return this.images.get(principal, repositoryName(name));
  }

  @Delete('images/*name')
  @HttpCode(200)
  @NAME_PARAM
  @ApiContract({ summary: 'delete every manifest of the repository', reply: RepositoryDeleteReply })
  deleteRepository(@CurrentPrincipal() principal: PrincipalView, @Param('name') name: string | string[]): Promise<RepositoryDeleteReply> {
    return this.images.deleteRepository(principal, repositoryName(name));
  }

  @Post('registry/gc')
  @HttpCode(200)
  @ApiContract({ summary: 'garbage-collect the registry (admin)', reply: RegistryGcReply, query: [{ name: 'dryRun', description: 'true: only report', type: 'boolean' }] })
  gc(@CurrentPrincipal() principal: PrincipalView, @Query('dryRun') dryRun?: string): Promise<RegistryGcReply> {
    if (dryRun !== undefined && !['true', 'false', '1', '0'].includes(dryRun)) {
      throw new SiloError('VALIDATION_FAILED', `dryRun must be true or false, got "${dryRun}"`, [{ path: 'dryRun', problems: ['dryRun must be true or false'] }]);
    }
    return this.images.gc(principal, dryRun === 'true' || dryRun === '1');
  }

  @Get('registry/usage')
  @ApiContract({ summary: 'storage used, in total and per team', reply: UsageReply })
  usage(@CurrentPrincipal() principal: PrincipalView): Promise<UsageReply> {
    return this.images.usage(principal);
  }
}
