import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ManifestDeleteReply,
  ManifestDeleteRequest,
  ManifestGetReply,
  ManifestGetRequest,
  RepositoryDeleteReply,
  RepositoryGetReply,
  RepositoryGetRequest,
  RepositoryListReply,
  RepositoryListRequest,
  Subjects,
} from '@silo/contracts';
import { CatalogService } from './catalog.service';

/** Catalog queries and deletes over NATS, for the api and the dashboard (the api authorizes). */
@Controller()
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @MessagePattern(Subjects.repositoryList)
  async list(@Payload() request: RepositoryListRequest): Promise<RepositoryListReply> {
    return { repositories: await this.catalog.list(request.team) };
  }

  @MessagePattern(Subjects.repositoryGet)
  async get(@Payload() request: RepositoryGetRequest): Promise<RepositoryGetReply> {
    return { repository: await this.catalog.get(request.name) };
  }

  @MessagePattern(Subjects.manifestGet)
  manifest(@Payload() request: ManifestGetRequest): Promise<ManifestGetReply> {
    return this.catalog.manifest(request.name, request.reference);
  }

  @MessagePattern(Subjects.manifestDelete)
  deleteManifest(@Payload() request: ManifestDeleteRequest): Promise<ManifestDeleteReply> {
    return this.catalog.deleteManifest(request.name, request.reference);
  }

  @MessagePattern(Subjects.repositoryDelete)
  deleteRepository(@Payload() request: RepositoryGetRequest): Promise<RepositoryDeleteReply> {
    return this.catalog.deleteRepository(request.name);
  }
}
