import { Injectable } from '@nestjs/common';
import { RegistryMetadata } from '../metadata/registry-metadata';
import { NameUnknown } from '../manifests/manifest.service';

export interface Page<T> {
  items: T[];
  /** The `last` value for the next page, when there is one. */
  next?: string;
}

/** Pages without `n` are capped; a Link header then leads on. */
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

/** Tag lists and the catalog, in lexical order, paginated with `n` and `last`. */
@Injectable()
export class RepositoryListingService {
  constructor(private readonly metadata: RegistryMetadata) {}

  async tags(repository: string, n: number | undefined, last: string | undefined): Promise<Page<string>> {
    if (!(await this.metadata.repository(repository))) throw new NameUnknown(repository);
    return this.page(n, (limit) => this.metadata.listTags(repository, last, limit));
  }

  catalog(n: number | undefined, last: string | undefined): Promise<Page<string>> {
    return this.page(n, (limit) => this.metadata.listRepositories(last, limit));
  }

  private async page(n: number | undefined, fetch: (limit: number) => Promise<string[]>): Promise<Page<string>> {
    const size = Math.min(n ?? DEFAULT_PAGE, MAX_PAGE);
    if (size === 0) return { items: [] };
    const rows = await fetch(size + 1);
    if (rows.length <= size) return { items: rows };
    const items = rows.slice(0, size);
    return { items, next: items[items.length - 1] };
  }
}
