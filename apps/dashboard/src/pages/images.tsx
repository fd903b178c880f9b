import { api } from '../api';
import { Bar, Card, Empty, ErrorBox, Loading, Time, useResource } from '../components';
import { useEventRefresh } from '../events';
import { href } from '../router';
import type { RegistryUsage, RepositorySummary, TeamView } from '../types';
import { formatBytes } from '../util';

export function ImagesPage() {
  const repos = useResource((signal) => api.get<{ repositories: RepositorySummary[] }>('/images', signal), [], 30_000);
  const usage = useResource((signal) => api.get<RegistryUsage>('/registry/usage', signal), [], 30_000);
  const teams = useResource((signal) => api.get<{ teams: TeamView[] }>('/teams', signal), [], 60_000);
  useEventRefresh(['push', 'delete'], () => {
    repos.reload();
    usage.reload();
  });

  return (
    <div class="page">
      <h1>Images</h1>
      <div class="overview-grid">
        <Card title={`Repositories${repos.data ? ` (${repos.data.repositories.length})` : ''}`} testId="repositories-card">
          <ErrorBox error={repos.error} />
          {!repos.data ? (
            !repos.error && <Loading what="repositories" />
          ) : repos.data.repositories.length === 0 ? (
            <Empty>No repository yet: push an image with skopeo, podman, docker or silo image push.</Empty>
          ) : (
            <table class="table" data-testid="repositories-table">
              <thead>
                <tr>
                  <th>Repository</th>
                  <th class="num">Tags</th>
                  <th class="num">Manifests</th>
                  <th class="num">Size</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {[...repos.data.repositories]
                  .sort((a, b) => a.name.localeCompare(b.name))
                  .map((repo) => (
                    <tr key={repo.name} data-testid={`repository-row-${repo.name}`}>
                      <td>
                        <a href={href(`/images/${repo.name}`)} class="strong mono">
                          {repo.name}
                        </a>{' '}
                        {repo.public && <span class="badge badge-muted">public</span>}
                      </td>
                      <td class="num">{repo.tagCount}</td>
                      <td class="num">{repo.manifestCount}</td>
                      <td class="num">{formatBytes(repo.sizeBytes)}</td>
                      <td>
                        <Time at={repo.updatedAt} />
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </Card>
        <div class="stack">
          <Card title="Storage" testId="usage-card">
            <ErrorBox error={usage.error} />
            {usage.data ? (
              <>
                <dl class="facts">
                  <dt>Total</dt>
                  <dd data-testid="usage-total">{formatBytes(usage.data.totalBytes)}</dd>
                  <dt>Blobs</dt>
                  <dd>{usage.data.blobs}</dd>
                </dl>
                {usage.data.teams.length > 0 && <QuotaList teams={usage.data.teams} />}
              </>
            ) : (
              !usage.error && <Loading what="usage" />
            )}
          </Card>
          <Card title="Teams" testId="teams-card">
            <ErrorBox error={teams.error} />
            {!teams.data ? (
              !teams.error && <Loading what="teams" />
            ) : teams.data.teams.length === 0 ? (
              <Empty>No team.</Empty>
            ) : (
              <table class="table table-compact" data-testid="teams-table">
                <thead>
                  <tr>
                    <th>Team</th>
                    <th class="num">Members</th>
                    <th>Quota</th>
                  </tr>
                </thead>
                <tbody>
                  {teams.data.teams.map((team) => (
                    <tr key={team.name}>
                      <td class="strong">{team.name}</td>
                      <td class="num" title={team.members.map((m) => `${m.account} (${m.role})`).join(', ')}>
                        {team.members.length}
                      </td>
                      <td class="cell-bar">
                        {team.quotaBytes === null ? (
                          <span class="small">{formatBytes(team.usedBytes)} · no quota</span>
                        ) : (
                          <Bar used={team.usedBytes} total={team.quotaBytes} label={`${formatBytes(team.usedBytes)} / ${formatBytes(team.quotaBytes)}`} />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      </div>
    </div>
  );
}

function QuotaList({ teams }: { teams: RegistryUsage['teams'] }) {
  return (
    <ul class="quota-list">
      {teams.map((team) => (
        <li key={team.name}>
          <span class="strong">{team.name}</span>
          {team.quotaBytes === null ? (
            <span class="small muted"> {formatBytes(team.usedBytes)} used, no quota</span>
          ) : (
            <Bar used={team.usedBytes} total={team.quotaBytes} label={`${formatBytes(team.usedBytes)} / ${formatBytes(team.quotaBytes)}`} />
          )}
        </li>
      ))}
    </ul>
  );
}
