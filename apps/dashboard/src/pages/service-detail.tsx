import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, streamLogs } from '../api';
import { Badge, Card, Empty, ErrorBox, errorMessage, Loading, TaskDetails, Time, useAction, useResource } from '../components';
import { useEventRefresh } from '../events';
import { href, navigate } from '../router';
import type { LogLine, Principal, ServiceTask, ServiceView } from '../types';
import { canManageWorkload, formatBytes, formatCpu } from '../util';

export function ServiceDetailPage({ name, principal }: { name: string; principal: Principal }) {
  const path = `/services/${encodeURIComponent(name)}`;
  const service = useResource((signal) => api.get<{ service: ServiceView }>(path, signal), [name], 15_000);
  const tasks = useResource((signal) => api.get<{ tasks: ServiceTask[] }>(`${path}/tasks`, signal), [name], 10_000);
  const isMine = (e: { data: Record<string, unknown> }) => e.data['name'] === name || e.data['service'] === name || String(e.data['taskId'] ?? '').startsWith(`${name}.`);
  useEventRefresh(['service', 'task'], service.reload, isMine);
  useEventRefresh(['service', 'task', 'node'], tasks.reload, (e) => e.type === 'node' || isMine(e));

  if (!service.data) {
    return (
      <div class="page">
        <Breadcrumb name={name} />
        {service.error ? <ErrorBox error={service.error} testId="service-error" /> : <Loading what="the service" />}
      </div>
    );
  }
  const view = service.data.service;
  const reload = () => {
    service.reload();
    tasks.reload();
  };
  const manage = canManageWorkload(principal, view.spec.team);
  return (
    <div class="page">
      <Breadcrumb name={name} />
      <div class="page-header">
        <h1 data-testid="service-title">
          {view.name}{' '}
          <span class={view.running >= view.desired ? 'replicas ok-text' : 'replicas wait-text'} data-testid="service-replicas">
            {view.running}/{view.desired}
          </span>{' '}
          <Badge value={view.rollout} testId="service-rollout" title={view.rolloutMessage} />
        </h1>
      </div>
      {view.rolloutMessage && <div class="alert alert-info">{view.rolloutMessage}</div>}
      <ErrorBox error={service.error} />
      <div class="grid-2">
        <SpecCard service={view} />
        {manage ? <ActionsCard service={view} onChanged={reload} /> : <Card title="Actions"><Empty>Your role ({principal.role}) can only look at this service.</Empty></Card>}
      </div>
      <TasksCard tasks={tasks.data?.tasks} error={tasks.error} />
      <LogsCard name={name} runningTasks={runningTaskIds(tasks.data?.tasks)} />
    </div>
  );
}

function runningTaskIds(tasks: ServiceTask[] | undefined): string {
  return (tasks ?? [])
    .filter((t) => t.state === 'running')
    .map((t) => t.taskId)
    .sort()
    .join(',');
}

function Breadcrumb({ name }: { name: string }) {
  return (
    <nav class="breadcrumb">
      <a href={href('/')}>Overview</a> / services / <span class="mono">{name}</span>
    </nav>
  );
}

function SpecCard({ service }: { service: ServiceView }) {
  const spec = service.spec;
  const env = Object.entries(spec.env ?? {});
  const r = spec.resources;
  return (
    <Card title={`Spec (version ${service.version})`} testId="service-spec">
      <dl class="facts">
        <dt>Image</dt>
        <dd class="mono" data-testid="service-image">
          {spec.image}
        </dd>
        <dt>Mode</dt>
        <dd>
          {service.mode}
          {service.mode !== 'global' && spec.replicas !== undefined ? ` · ${spec.replicas} replicas` : ''}
        </dd>
        {spec.team && (
          <>
            <dt>Team</dt>
            <dd>{spec.team}</dd>
          </>
        )}
        <dt>Command</dt>
        <dd class="mono small">{[...(spec.command ?? []), ...(spec.args ?? [])].map(quote).join(' ') || <span class="muted">image default</span>}</dd>
        {env.length > 0 && (
          <>
            <dt>Env</dt>
            <dd class="mono small">
              {env.map(([k, v]) => (
                <div key={k}>
                  {k}={v}
                </div>
              ))}
            </dd>
          </>
        )}
        {spec.ports && spec.ports.length > 0 && (
          <>
            <dt>Ports</dt>
            <dd class="mono small">{spec.ports.map((p) => `${p.hostPort}:${p.containerPort}/${p.protocol}`).join(', ')}</dd>
          </>
        )}
        {r && (
          <>
            <dt>Resources</dt>
            <dd class="small">
              {[
                r.cpuRequestMillis !== undefined ? `cpu request ${formatCpu(r.cpuRequestMillis)}` : '',
                r.cpuLimitMillis !== undefined ? `cpu limit ${formatCpu(r.cpuLimitMillis)}` : '',
                r.memoryRequestBytes !== undefined ? `memory request ${formatBytes(r.memoryRequestBytes)}` : '',
                r.memoryLimitBytes !== undefined ? `memory limit ${formatBytes(r.memoryLimitBytes)}` : '',
              ]
                .filter(Boolean)
                .join(' · ') || '—'}
            </dd>
          </>
        )}
        {spec.constraints && spec.constraints.length > 0 && (
          <>
            <dt>Constraints</dt>
            <dd class="mono small">{spec.constraints.join(', ')}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          <Time at={service.createdAt} />
        </dd>
        <dt>Updated</dt>
        <dd>
          <Time at={service.updatedAt} />
        </dd>
      </dl>
    </Card>
  );
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function ActionsCard({ service, onChanged }: { service: ServiceView; onChanged: () => void }) {
  const path = `/services/${encodeURIComponent(service.name)}`;
  const [replicas, setReplicas] = useState(String(service.spec.replicas ?? service.desired));
  const [image, setImage] = useState(service.spec.image);
  const action = useAction();
  const [done, setDone] = useState('');

  useEffect(() => setImage(service.spec.image), [service.spec.image]);
  useEffect(() => setReplicas(String(service.spec.replicas ?? service.desired)), [service.spec.replicas]);

  const act = async (what: string, call: () => Promise<unknown>) => {
    setDone('');
    if (await action.run(call)) {
      setDone(what);
      onChanged();
    }
  };
  const scale = (e: Event) => {
    e.preventDefault();
    const n = Number(replicas);
    if (!Number.isInteger(n) || n < 0) {
      action.run(() => Promise.reject(new Error('replicas must be a whole number, 0 or more')));
      return;
    }
    act(`Scaled to ${n}.`, () => api.post(`${path}/scale`, { replicas: n }));
  };
  const update = (e: Event) => {
    e.preventDefault();
    act(`Updating to ${image.trim()}.`, () => api.patch(path, { image: image.trim() }));
  };
  const rollback = () => act('Rolling back to the previous version.', () => api.post(`${path}/rollback`));
  const remove = async () => {
    if (!window.confirm(`Remove the service ${service.name} and stop its tasks?`)) return;
    if (await action.run(() => api.delete(path))) navigate('/');
  };

  return (
    <Card title="Actions" testId="service-actions">
      {service.mode !== 'global' && (
        <form class="inline-form" onSubmit={scale}>
          <label class="inline-label" for="scale-input">
            Replicas
          </label>
          <input id="scale-input" type="number" min={0} class="input-narrow" value={replicas} onInput={(e) => setReplicas(e.currentTarget.value)} data-testid="scale-input" />
          <button type="submit" class="button" disabled={action.busy} data-testid="scale-submit">
            Scale
          </button>
        </form>
      )}
      <form class="inline-form" onSubmit={update}>
        <label class="inline-label" for="image-input">
          Image
        </label>
        <input id="image-input" class="input-wide mono" value={image} onInput={(e) => setImage(e.currentTarget.value)} data-testid="update-image-input" />
        <button type="submit" class="button" disabled={action.busy || !image.trim() || image.trim() === service.spec.image} data-testid="update-image-submit">
          Update
        </button>
      </form>
      <div class="button-row">
        <button type="button" class="button" disabled={action.busy || service.version <= 1} onClick={rollback} data-testid="rollback" title="Return to the previous spec version">
          Roll back
        </button>
        <button type="button" class="button button-danger" disabled={action.busy} onClick={remove} data-testid="remove">
          Remove service
        </button>
      </div>
      {done && !action.error && (
        <div class="alert alert-ok" data-testid="action-done">
          {done}
        </div>
      )}
      <ErrorBox error={action.error} testId="action-error" />
    </Card>
  );
}

function TasksCard({ tasks, error }: { tasks?: ServiceTask[]; error: unknown }) {
  const sorted = tasks ? [...tasks].sort((a, b) => a.slot - b.slot || b.version - a.version || a.taskId.localeCompare(b.taskId)) : undefined;
  return (
    <Card title={`Tasks${sorted ? ` (${sorted.length})` : ''}`} testId="tasks-card">
      <ErrorBox error={error} />
      {!sorted ? (
        !error && <Loading what="tasks" />
      ) : sorted.length === 0 ? (
        <Empty>No task.</Empty>
      ) : (
        <table class="table" data-testid="tasks-table">
          <thead>
            <tr>
              <th>Task</th>
              <th class="num">Slot</th>
              <th class="num">Version</th>
              <th>State</th>
              <th>Node</th>
              <th>Details</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((task) => (
              <tr key={task.taskId} data-testid="task-row" data-task-id={task.taskId} class={task.desiredState === 'shutdown' ? 'row-muted' : ''}>
                <td class="mono small">{task.taskId}</td>
                <td class="num">{task.slot}</td>
                <td class="num">{task.version}</td>
                <td>
                  <Badge value={task.state} testId="task-state" /> {task.health && <Badge value={task.health} />}
                  {task.desiredState !== 'running' && <span class="muted small"> → {task.desiredState}</span>}
                </td>
                <td>{task.nodeId ? <a href={href(`/nodes/${encodeURIComponent(task.nodeId)}`)} class="mono small">{task.nodeId}</a> : <span class="muted">—</span>}</td>
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
  );
}


const MAX_LINES = 2000;
const RECONNECT_MS = 3000;

type LogsState = 'connecting' | 'following' | 'waiting' | 'error';
const LOGS_BADGE: Record<LogsState, string> = { connecting: 'connecting', following: 'live', waiting: 'pending', error: 'failed' };

/**
 * The service's logs, followed: `GET …/logs?follow=true&tail=100` read as an NDJSON stream. The
 * api follows the tasks that exist when the request starts and ends the response when none is
 * left; so the panel reconnects (from the last line's time, skipping lines it already shows) when
 * the stream ends and when the set of running tasks changes (a deploy, a scale, an update).
 */
function LogsCard({ name, runningTasks }: { name: string; runningTasks: string }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<LogsState>('connecting');
  const [error, setError] = useState<unknown>(undefined);
  const [autoScroll, setAutoScroll] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const box = useRef<HTMLPreElement>(null);
  const lastTime = useRef<string | undefined>(undefined);
  const seen = useRef<{ keys: Set<string>; order: string[] }>({ keys: new Set(), order: [] });

  // another service: start over
  useEffect(() => {
    setLines([]);
    lastTime.current = undefined;
    seen.current = { keys: new Set(), order: [] };
  }, [name]);

  useEffect(() => {
    const controller = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    let pending: LogLine[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setLines((old) => [...old, ...batch].slice(-MAX_LINES));
    };
    const isNew = (line: LogLine) => {
      const key = `${line.task}|${line.time}|${line.stream}|${line.text}`;
      const recent = seen.current;
      if (recent.keys.has(key)) return false;
      recent.keys.add(key);
      recent.order.push(key);
      if (recent.order.length > MAX_LINES * 2) recent.keys.delete(recent.order.shift() ?? '');
      return true;
    };
    setError(undefined);
    setState((s) => (s === 'following' ? s : 'connecting'));
    const from = lastTime.current ? `since=${encodeURIComponent(lastTime.current)}` : 'tail=100';
    streamLogs(`/services/${encodeURIComponent(name)}/logs?follow=true&${from}`, controller.signal, (line) => {
      if (!isNew(line)) return;
      if (!lastTime.current || line.time > lastTime.current) lastTime.current = line.time;
      setState('following');
      pending.push(line);
      if (!frame) frame = requestAnimationFrame(flush);
    }).then(
      () => {
        if (controller.signal.aborted) return;
        setState('waiting');
        retry = setTimeout(() => setAttempt((n) => n + 1), RECONNECT_MS);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err);
        setState('error');
        if (!(err instanceof ApiError && [401, 403, 404].includes(err.status))) retry = setTimeout(() => setAttempt((n) => n + 1), RECONNECT_MS * 2);
      },
    );
    // the headers arrive before any line: once the stream is open for a moment, say that it follows
    const opened = setTimeout(() => setState((s) => (s === 'connecting' ? 'following' : s)), 1500);
    return () => {
      clearTimeout(opened);
      clearTimeout(retry);
      cancelAnimationFrame(frame);
      if (pending.length > 0) flush();
      controller.abort();
    };
  }, [name, attempt, runningTasks]);

  useEffect(() => {
    if (autoScroll && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, autoScroll]);

  return (
    <Card
      title="Logs"
      testId="logs-card"
      actions={
        <>
          <Badge value={LOGS_BADGE[state]} testId="logs-state" title={state === 'waiting' ? 'no task to follow: reconnecting' : undefined} />
          <label class="checkbox small">
            <input type="checkbox" checked={autoScroll} onChange={(e) => setAutoScroll(e.currentTarget.checked)} /> follow
          </label>
          <button type="button" class="button button-small" onClick={() => setLines([])}>
            Clear
          </button>
          <button type="button" class="button button-small" onClick={() => setAttempt((n) => n + 1)} data-testid="logs-reconnect">
            Reconnect
          </button>
        </>
      }
    >
      {state === 'error' && <div class="alert alert-error">Log stream: {errorMessage(error)}</div>}
      <pre class="logs" ref={box} data-testid="logs">
        {lines.length === 0 ? (
          <span class="muted">{state === 'connecting' ? 'Connecting…' : state === 'waiting' ? 'No running task yet: waiting for one…' : 'No log lines yet.'}</span>
        ) : (
          lines.map((line, i) => (
            <div key={i} class={`log-line log-${line.stream}`} data-testid="log-line">
              <span class="log-time">{formatLogTime(line.time)}</span>
              <span class="log-task">{line.task}</span>
              <span class="log-text">{line.text}</span>
            </div>
          ))
        )}
      </pre>
    </Card>
  );
}

function formatLogTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString(undefined, { hour12: false });
}
