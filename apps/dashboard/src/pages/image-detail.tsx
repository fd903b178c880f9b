import { api } from '../api';
import { Badge, Card, Empty, ErrorBox, Loading, Time, useAction, useResource } from '../components';
import { useEventRefresh } from '../events';
import { href } from '../router';
import type { Principal, RepositoryDetail } from '../types';
import { canDeleteImages, formatBytes, shortDigest } from '../util';

/** Repository names contain "/": each segment is encoded, the slashes stay (the api takes both). */
const repoPath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

export function ImageDetailPage({ name, principal }: { name: string; principal: Principal }) {
  const detail = useResource((signal) => api.get<{ repository: RepositoryDetail }>(`/images/${repoPath(name)}`, signal), [name]);
  useEventRefresh(['push', 'delete'], detail.reload, (e) => e.data['repository'] === name);
  const action = useAction();
  const mayDelete = canDeleteImages(principal, name);

  const untag = async (tag: string) => {
    if (!window.confirm(`Remove the tag ${name}:${tag}? The manifest stays if other tags or digests refer to it.`)) return;
    if (await action.run(() => api.delete(`/images/${repoPath(name)}/manifests/${encodeURIComponent(tag)}`))) detail.reload();
  };

  const repo = detail.data?.repository;
  return (
    <div class="page">
      <nav class="breadcrumb">
        <a href={href('/images')}>Images</a> / <span class="mono">{name}</span>
      </nav>
      <h1 class="mono" data-testid="repository-title">
        {name} {repo?.public && <Badge value="public" />}
      </h1>
      <ErrorBox error={detail.error} />
      <ErrorBox error={action.error} testId="image-action-error" />
      {!repo ? (
        !detail.error && <Loading what="the repository" />
      ) : (
        <>
          <div class="stats">
            <div class="stat">
              <span class="stat-value">{repo.tagCount}</span>
              <span class="stat-label">tags</span>
            </div>
            <div class="stat">
              <span class="stat-value">{repo.manifestCount}</span>
              <span class="stat-label">manifests</span>
            </div>
            <div class="stat">
              <span class="stat-value">{formatBytes(repo.sizeBytes)}</span>
              <span class="stat-label">stored (distinct blobs)</span>
            </div>
          </div>
          <Card title="Tags">
            {repo.tags.length === 0 ? (
              <Empty>No tags.</Empty>
            ) : (
              <table class="table" data-testid="tags-table">
                <thead>
                  <tr>
                    <th>Tag</th>
                    <th>Digest</th>
                    <th>Media type</th>
                    <th class="num">Size</th>
                    <th>Updated</th>
                    {mayDelete && <th />}
                  </tr>
                </thead>
                <tbody>
                  {repo.tags.map((tag) => (
                    <tr key={tag.tag} data-testid={`tag-row-${tag.tag}`}>
                      <td class="strong mono">{tag.tag}</td>
                      <td class="mono small" title={tag.digest}>
                        {shortDigest(tag.digest)}
                      </td>
                      <td class="small muted">{tag.mediaType.replace(/^application\//, '')}</td>
                      <td class="num">{formatBytes(tag.sizeBytes)}</td>
                      <td>
                        <Time at={tag.updatedAt} />
                      </td>
                      {mayDelete && (
                        <td class="num">
                          <button type="button" class="button button-small button-danger" disabled={action.busy} onClick={() => untag(tag.tag)}>
                            Untag
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <p class="muted small">
            Deploy it as <code>{name}:{repo.tags[0]?.tag ?? 'latest'}</code> — references without a registry host name this registry.
          </p>
        </>
      )}
    </div>
  );
}
