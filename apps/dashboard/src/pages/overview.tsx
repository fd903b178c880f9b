import { api } from '../api';
import { Badge, Bar, Card, Empty, ErrorBox, Loading, Time, useResource } from '../components';
import { describeEvent, useEventRefresh, useFeed } from '../events';
import { href } from '../router';
import type { NodeView, Principal, ServiceView } from '../types';
import { canManageWorkload, formatBytes, formatCpu } from '../util';

const POLL_MS = 15_000;

export function OverviewPage({ principal }: { principal: Principal }) {
  const nodes = useResource((signal) => api.get<{ nodes: NodeView[] }>('/nodes', signal), [], POLL_MS);
  const services = useResource((signal) => api.get<{ services: ServiceView[] }>('/services', signal), [], POLL_MS);
  useEventRefresh(['node', 'task'], nodes.reload);
  useEventRefresh(['service', 'task'], services.reload);

  return (
    <div class="page overview">
      <div class="page-header">
        <h1>Cluster overview</h1>
        {canManageWorkload(principal) && (
          <a class="button button-primary" href={href('/deploy')} data-testid="overview-deploy">
            Deploy a service
          </a>
        )}
      </div>
      <div class="overview-grid">
        <div class="overview-main">
          <Card title={`Nodes${nodes.data ? ` (${nodes.data.nodes.length})` : ''}`} testId="nodes-card">
            <ErrorBox error={nodes.error} testId="nodes-error" />
            {nodes.data ? <NodesTable nodes={nodes.data.nodes} /> : !nodes.error && <Loading what="nodes" />}
          </Card>
          <Card title={`Services${services.data ? ` (${services.data.services.length})` : ''}`} testId="services-card">
            <ErrorBox error={services.error} testId="services-error" />
            {services.data ? <ServicesTable services={services.data.services} /> : !services.error && <Loading what="services" />}
          </Card>
        </div>
        <EventsPanel />
      </div>
    </div>
  );
}

function NodesTable({ nodes }: { nodes: NodeView[] }) {
  if (nodes.length === 0) return <Empty>No node has joined yet.</Empty>;
  return (
    <table class="table" data-testid="nodes-table">
      <thead>
        <tr>
          <th>Node</th>
          <th>State</th>
          <th>CPU allocated</th>
          <th>Memory allocated</th>
          <th class="num">Tasks</th>
          <th>Heartbeat</th>
        </tr>
      </thead>
      <tbody>
        {[...nodes]
          .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.nodeId.localeCompare(b.nodeId))
          .map((node) => (
            <tr key={node.nodeId} data-testid={`node-row-${node.nodeId}`} data-node-id={node.nodeId}>
              <td>
                <a href={href(`/nodes/${encodeURIComponent(node.nodeId)}`)} class="strong">
                  {node.hostname}
                </a>
                <div class="muted small mono">{node.nodeId}</div>
              </td>
              <td>
                <Badge value={node.state} testId={`node-state-${node.nodeId}`} />{' '}
                {node.availability !== 'active' && <Badge value={node.availability} />}
              </td>
              <td class="cell-bar">
                <Bar used={node.allocated.cpuMillis} total={node.allocatable.cpuMillis} label={`${formatCpu(node.allocated.cpuMillis)} / ${formatCpu(node.allocatable.cpuMillis)}`} />
              </td>
              <td class="cell-bar">
                <Bar
                  used={node.allocated.memoryBytes}
                  total={node.allocatable.memoryBytes}
                  label={`${formatBytes(node.allocated.memoryBytes)} / ${formatBytes(node.allocatable.memoryBytes)}`}
                />
              </td>
              <td class="num">
                {node.runningTasks}/{node.tasks}
              </td>
              <td>
                <Time at={node.lastHeartbeatAt} />
              </td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

function ServicesTable({ services }: { services: ServiceView[] }) {
  if (services.length === 0) return <Empty>No service yet.</Empty>;
  return (
    <table class="table" data-testid="services-table">
      <thead>
        <tr>
          <th>Service</th>
          <th>Image</th>
          <th class="num">Running</th>
          <th>Rollout</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {[...services]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((service) => (
            <tr key={service.name} data-testid={`service-row-${service.name}`}>
              <td>
                <a href={href(`/services/${encodeURIComponent(service.name)}`)} class="strong">
                  {service.name}
                </a>
                <div class="muted small">
                  {service.mode}
                  {service.spec.team ? ` · team ${service.spec.team}` : ''} · v{service.version}
                </div>
              </td>
              <td class="mono small truncate" title={service.spec.image}>
                {service.spec.image}
              </td>
              <td class="num">
                <span class={service.running >= service.desired ? 'ok-text' : 'wait-text'} data-testid={`service-running-${service.name}`}>
                  {service.running}/{service.desired}
                </span>
              </td>
              <td>
                <Badge value={service.rollout} title={service.rolloutMessage} />
              </td>
              <td>
                <Time at={service.updatedAt} />
              </td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

function EventsPanel() {
  const { events, status } = useFeed();
  return (
    <Card title="Recent events" actions={<Badge value={status} />} testId="events-card">
      {events.length === 0 ? (
        <Empty>{status === 'live' ? 'Waiting for events…' : 'Not connected to the event stream.'}</Empty>
      ) : (
        <ol class="events" data-testid="events-list">
          {events.map((event) => (
            <li key={`${event.id}-${event.type}`} class={`event event-${event.type}`} data-testid="event-item" data-event-type={event.type}>
              <span class="event-type">{event.type}</span>
              <span class="event-text">{describeEvent(event)}</span>
              <span class="event-time">
                <Time at={event.at} />
              </span>
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
