import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import type { ServiceTask } from './types';
import { percent, relativeTime } from './util';

export interface Resource<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Data from the api for a page: loads when `deps` change, `reload()` on demand (events), keeps
 * what it showed while reloading so tables do not flicker, and polls every `pollMs` if given.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], pollMs?: number): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  // a change of deps shows a fresh page, not the previous one's data
  useEffect(() => setState({ loading: true }), deps);

  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loader.current(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: unknown) => !controller.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => controller.abort();
  }, [...deps, generation]);

  useEffect(() => {
    if (!pollMs) return;
    const timer = setInterval(reload, pollMs);
    return () => clearInterval(timer);
  }, [pollMs, reload]);

  return { ...state, reload };
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.fullMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorBox({ error, testId = 'error' }: { error: unknown; testId?: string }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div class="alert alert-error" role="alert" data-testid={testId}>
      {code && <span class="alert-code">{code}</span>}
      {errorMessage(error)}
    </div>
  );
}

const STATE_TONES: Record<string, string> = {
  ready: 'ok',
  running: 'ok',
  completed: 'ok',
  complete: 'ok',
  healthy: 'ok',
  active: 'ok',
  live: 'ok',
  pending: 'wait',
  assigned: 'wait',
  pulling: 'wait',
  starting: 'wait',
  updating: 'wait',
  connecting: 'wait',
  'rolling-back': 'warn',
  'rolled-back': 'warn',
  paused: 'warn',
  pause: 'warn',
  drain: 'warn',
  stopping: 'muted',
  shutdown: 'muted',
  exited: 'muted',
  removed: 'muted',
  unknown: 'muted',
  offline: 'muted',
  down: 'bad',
  failed: 'bad',
  'oom-killed': 'bad',
  unhealthy: 'bad',
};

export function Badge({ value, testId, title }: { value: string; testId?: string; title?: string }) {
  return (
    <span class={`badge badge-${STATE_TONES[value] ?? 'muted'}`} data-testid={testId} title={title}>
      {value}
    </span>
  );
}

/** A capacity bar: `used` of `total`, with its label ("1.5 / 4 CPU"). */
export function Bar({ used, total, label, testId }: { used: number; total: number; label: string; testId?: string }) {
  const pct = percent(used, total);
  const tone = pct >= 90 ? 'bad' : pct >= 70 ? 'warn' : 'ok';
  return (
    <div class="bar" data-testid={testId} title={`${pct.toFixed(0)} %`}>
      <div class="bar-track">
        <div class={`bar-fill bar-${tone}`} style={{ width: `${pct}%` }} />
      </div>
      <span class="bar-label">{label}</span>
    </div>
  );
}

/** A relative time that stays current, with the exact time on hover. */
export function Time({ at }: { at?: string | Date }) {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(timer);
  }, []);
  if (!at) return <span class="muted">—</span>;
  const date = typeof at === 'string' ? new Date(at) : at;
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {relativeTime(date)}
    </time>
  );
}

export function Card({ title, actions, children, testId }: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; testId?: string }) {
  return (
    <section class="card" data-testid={testId}>
      {(title || actions) && (
        <header class="card-header">
          {title && <h2>{title}</h2>}
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      <div class="card-body">{children}</div>
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted loading">Loading {what}…</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>;
}

/** Runs an action, tracking busy state and the api's error message for the form that started it. */
export function useAction(): { busy: boolean; error: unknown; run: (action: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}

/** Why a task is pending (counts per reason), or its exit code and reason; a dash when there is nothing to say. */
export function TaskDetails({ task }: { task: ServiceTask }) {
  if (task.pendingMessage || (task.pendingReasons && task.pendingReasons.length > 0)) {
    return (
      <div class="pending" data-testid="pending-reasons">
        {task.pendingMessage && <div>{task.pendingMessage}</div>}
        {task.pendingReasons && task.pendingReasons.length > 0 && (
          <ul>
            {task.pendingReasons.map((r) => (
              <li key={r.code}>
                {r.nodes} node{r.nodes === 1 ? '' : 's'}: {r.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  const parts = [task.exitCode !== undefined ? `exit ${task.exitCode}` : '', task.reason ?? ''].filter(Boolean);
  return parts.length > 0 ? <span>{parts.join(' · ')}</span> : <span class="muted">—</span>;
}
