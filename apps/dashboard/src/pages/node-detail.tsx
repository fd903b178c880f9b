import { useState } from 'preact/hooks';
import { api } from '../api';
import { Badge, Bar, Card, Empty, ErrorBox, Loading, TaskDetails, Time, useAction, useResource } from '../components';
import { useEventRefresh } from '../events';
import { href } from '../router';
import type { Availability, ClusterTask, NodeView, Principal } from '../types';
import { formatBytes, formatCpu, isAdmin } from '../util';

const AVAILABILITIES: Array<{ value: Availability; label: string; help: string }> = [
  { value: 'active', label: 'Active', help: 'takes new tasks' },
  { value: 'pause', label: 'Pause', help: 'keeps its tasks, takes no new ones' },
  { value: 'drain', label: 'Drain', help: 'moves its tasks elsewhere' },
];

export function NodeDetailPage({ id, principal }: { id: string; principal: Principal }) {
  const detail = useResource((signal) => api.get<{ node: NodeView; tasks: ClusterTask[] }>(`/nodes/${encodeURIComponent(id)}`, signal), [id], 15_000);
  useEventRefresh(['node', 'task'], detail.reload, (e) => e.type !== 'task' || e.data['nodeId'] === id);

  if (!detail.data) {
    return (
      <div class="page">
        <Breadcrumb id={id} />
        {detail.error ? <ErrorBox error={detail.error} /> : <Loading what="the node" />}
      </div>
    );
  }
  const { node, tasks } = detail.data;
  return (
    <div class="page">
      <Breadcrumb id={id} />
      <div class="page-header">
        <h1 data-testid="node-title">
          {node.hostname} <Badge value={node.state} testId="node-state" /> <Badge value={node.availability} testId="node-availability" />
        </h1>
      </div>
      <ErrorBox error={detail.error} />
      <div class="grid-2">
        <Card title="Node">
          <dl class="facts">
            <dt>ID</dt>
            <dd class="mono">{node.nodeId}</dd>
            <dt>Address</dt>
            <dd class="mono">{node.address ?? '—'}</dd>
            <dt>Platform</dt>
            <dd>{node.platform ? `${node.platform.os}/${node.platform.arch}` : '—'}</dd>
            <dt>Agent</dt>
            <dd>{node.agentVersion ?? '—'}</dd>
            <dt>Heartbeat</dt>
            <dd>
              <Time at={node.lastHeartbeatAt} />
            </dd>
            <dt>Tasks</dt>
            <dd>
              {node.runningTasks} running of {node.tasks}
            </dd>
          </dl>
        </Card>
        <Card title="Resources">
          <table class="table table-compact">
            <thead>
              <tr>
                <th />
                <th>Allocated / allocatable</th>
                <th class="num">Capacity</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th>CPU</th>
                <td class="cell-bar">
                  <Bar used={node.allocated.cpuMillis} total={node.allocatable.cpuMillis} label={`${formatCpu(node.allocated.cpuMillis)} / ${formatCpu(node.allocatable.cpuMillis)}`} />
                </td>
                <td class="num">{formatCpu(node.capacity.cpuMillis)}</td>
              </tr>
              <tr>
                <th>Memory</th>
                <td class="cell-bar">
                  <Bar
                    used={node.allocated.memoryBytes}
                    total={node.allocatable.memoryBytes}
                    label={`${formatBytes(node.allocated.memoryBytes)} / ${formatBytes(node.allocatable.memoryBytes)}`}
                  />
                </td>
                <td class="num">{formatBytes(node.capacity.memoryBytes)}</td>
              </tr>
              <tr>
                <th>PIDs</th>
                <td class="cell-bar">
                  <Bar used={node.allocated.pids} total={node.allocatable.pids} label={`${node.allocated.pids} / ${node.allocatable.pids}`} />
                </td>
                <td class="num">{node.capacity.pids}</td>
              </tr>
            </tbody>
          </table>
        </Card>
      </div>
      <Card title="Labels">
        <Labels node={node} editable={isAdmin(principal)} onChanged={detail.reload} />
      </Card>
      {isAdmin(principal) && <AvailabilityActions node={node} onChanged={detail.reload} />}
      <Card title={`Tasks (${tasks.length})`}>
        {tasks.length === 0 ? (
          <Empty>No task on this node.</Empty>
        ) : (
          <table class="table" data-testid="node-tasks-table">
            <thead>
              <tr>
                <th>Task</th>
                <th>Service</th>
                <th>State</th>
                <th>Desired</th>
                <th>Details</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.taskId} data-testid="node-task-row">
                  <td class="mono small">{task.taskId}</td>
                  <td>
                    <a href={href(`/services/${encodeURIComponent(task.service)}`)}>{task.service}</a>
                  </td>
                  <td>
                    <Badge value={task.state} /> {task.health && <Badge value={task.health} />}
                  </td>
                  <td>{task.desiredState}</td>
                  <td class="small">
                    <TaskDetails task={task} />
                  </td>
                  <td>
                    <Time at={task.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}

function Breadcrumb({ id }: { id: string }) {
  return (
    <nav class="breadcrumb">
      <a href={href('/')}>Overview</a> / nodes / <span class="mono">{id}</span>
    </nav>
  );
}

function AvailabilityActions({ node, onChanged }: { node: NodeView; onChanged: () => void }) {
  const action = useAction();
  const set = (availability: Availability) =>
    action.run(async () => {
      await api.patch(`/nodes/${encodeURIComponent(node.nodeId)}`, { availability });
      onChanged();
    });
  return (
    <Card title="Availability" testId="node-availability-card">
      <div class="button-row">
        {AVAILABILITIES.map((a) => (
          <button
            type="button"
            key={a.value}
            class={`button ${node.availability === a.value ? 'button-primary' : ''}`}
            disabled={action.busy || node.availability === a.value}
            title={a.help}
            onClick={() => set(a.value)}
            data-testid={`availability-${a.value}`}
          >
            {a.label}
          </button>
        ))}
        <span class="muted small">{AVAILABILITIES.find((a) => a.value === node.availability)?.help}</span>
      </div>
      <ErrorBox error={action.error} testId="availability-error" />
    </Card>
  );
}

function Labels({ node, editable, onChanged }: { node: NodeView; editable: boolean; onChanged: () => void }) {
  const [draft, setDraft] = useState('');
  const action = useAction();
  const entries = Object.entries(node.labels).sort(([a], [b]) => a.localeCompare(b));
  const patch = (body: { labelsAdd?: Record<string, string>; labelsRemove?: string[] }) =>
    action.run(async () => {
      await api.patch(`/nodes/${encodeURIComponent(node.nodeId)}`, body);
      onChanged();
    });
  const add = async (e: Event) => {
    e.preventDefault();
    const eq = draft.indexOf('=');
    if (eq <= 0) {
      action.run(() => Promise.reject(new Error('a label is key=value')));
      return;
    }
    if (await patch({ labelsAdd: { [draft.slice(0, eq).trim()]: draft.slice(eq + 1).trim() } })) setDraft('');
  };
  return (
    <div>
      {entries.length === 0 ? (
        <Empty>No labels.</Empty>
      ) : (
        <ul class="chips" data-testid="node-labels">
          {entries.map(([key, value]) => (
            <li class="chip" key={key}>
              <span class="mono">
                {key}={value}
              </span>
              {editable && (
                <button type="button" class="chip-remove" title={`Remove ${key}`} disabled={action.busy} onClick={() => patch({ labelsRemove: [key] })}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {editable && (
        <form class="inline-form" onSubmit={add}>
          <input placeholder="zone=eu" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} data-testid="label-input" />
          <button type="submit" class="button" disabled={action.busy || !draft.trim()}>
            Add label
          </button>
        </form>
      )}
      <ErrorBox error={action.error} />
    </div>
  );
}
