import { Injectable } from '@nestjs/common';
import {
  ManifestDeleteReply,
  ManifestGetReply,
  PrincipalView,
  RegistryGcReply,
  RepositoryDeleteReply,
  RepositoryGetReply,
  RepositoryListReply,
  RepositoryVisibilityReply,
  StoreUsageReply,
  Subjects,
  TeamListReply,
} from '@silo/contracts';
import { allowed, authorize, decide, isAdmin } from '../authorization/policy';
import { Rpc } from '../common/rpc.service';
import { UsageReply } from './dto/images.dto';

/** GC walks every manifest and blob: it may take minutes. */
const GC_TIMEOUT_MS = 300_000;

/** The registry's repositories for people: list, inspect, delete, visibility, GC and usage. */
@Injectable()
export class ImagesService {
  constructor(private readonly rpc: Rpc) {}

  async list(principal: PrincipalView): Promise<RepositoryListReply> {
    const { repositories } = await this.rpc.call(Subjects.repositoryList, {}, RepositoryListReply);
    return { repositories: repositories.filter((r) => allowed(principal, { kind: 'repository', access: 'read', name: r.name, public: r.public })) };
  }

  async get(principal: PrincipalView, name: string): Promise<RepositoryGetReply> {
    // Members learn nothing of a repository they may not read: not even whether it exists.
    if (!decide(principal, { kind: 'repository', access: 'read', name }).allowed) {
      const reply = await this.rpc.call(Subjects.repositoryGet, { name }, RepositoryGetReply);
      authorize(principal, { kind: 'repository', access: 'read', name, public: reply.repository.public });
      return reply;
    }
    return this.rpc.call(Subjects.repositoryGet, { name }, RepositoryGetReply);
  }

  async manifest(principal: PrincipalView, name: string, reference: string): Promise<ManifestGetReply> {
    await this.readable(principal, name);
    return this.rpc.call(Subjects.manifestGet, { name, reference }, ManifestGetReply);
  }

  async deleteManifest(principal: PrincipalView, name: string, reference: string): Promise<ManifestDeleteReply> {
    authorize(principal, { kind: 'repository', access: 'delete', name });
    return this.rpc.call(Subjects.manifestDelete, { name, reference }, ManifestDeleteReply);
  }

  async deleteRepository(principal: PrincipalView, name: string): Promise<RepositoryDeleteReply> {
    authorize(principal, { kind: 'repository', access: 'delete', name });
    return this.rpc.call(Subjects.repositoryDelete, { name }, RepositoryDeleteReply);
  }

  async visibility(principal: PrincipalView, name: string, isPublic: boolean): Promise<RepositoryVisibilityReply> {
    authorize(principal, { kind: 'repository', access: 'admin', name });
    return this.rpc.call(Subjects.repositoryVisibility, { name, public: isPublic }, RepositoryVisibilityReply);
  }

  async gc(principal: PrincipalView, dryRun: boolean): Promise<RegistryGcReply> {
    authorize(principal, { kind: 'registry-gc' });
    return this.rpc.call(Subjects.registryGc, { dryRun }, RegistryGcReply, GC_TIMEOUT_MS);
  }

  /** Totals from the layer store; per team quota and usage from the registry (members: their teams). */
  async usage(principal: PrincipalView): Promise<UsageReply> {
    authorize(principal, { kind: 'cluster', access: 'read' });
    const [store, { teams }] = await Promise.all([this.rpc.call(Subjects.storeUsage, {}, StoreUsageReply), this.rpc.call(Subjects.teamList, {}, TeamListReply)]);
    const seeAll = isAdmin(principal) || principal.role === 'viewer';
    return {
      totalBytes: store.bytes,
      blobs: store.blobs,
      teams: teams
        .filter((t) => seeAll || principal.teams.some((m) => m.team === t.name))
        .map((t) => ({ name: t.name, quotaBytes: t.quotaBytes ?? null, usedBytes: t.usedBytes })),
    };
  }

  private async readable(principal: PrincipalView, name: string): Promise<void> {
    if (decide(principal, { kind: 'repository', access: 'read', name }).allowed) return;
    await this.get(principal, name);
  }
}
