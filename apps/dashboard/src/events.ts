import { useEffect, useRef, useState } from 'preact/hooks';
import { eventsUrl, whoami } from './api';
import type { ClusterEvent, ClusterEventType } from './types';

/**
 * The cluster's events over Server-Sent Events (`/api/v1/events?access_token=…`): one
 * EventSource for the whole app, the latest events kept for the overview, and subscribers that
 * refresh what they show when something changes.
 */

export type FeedStatus = 'connecting' | 'live' | 'offline';

const TYPES: ClusterEventType[] = ['node', 'task', 'service', 'push', 'delete'];
const KEEP = 100;
const RETRY_MS = 5000;

type Listener = (event: ClusterEvent) => void;

class EventFeed {
  events: ClusterEvent[] = [];
  status: FeedStatus = 'offline';
  private source?: EventSource;
  private retry?: ReturnType<typeof setTimeout>;
  private readonly listeners = new Set<Listener>();
  private readonly watchers = new Set<() => void>();

  start(): void {
    this.stop();
    const url = eventsUrl();
    if (!url) return;
    this.setStatus('connecting');
    const source = new EventSource(url);
    this.source = source;
    source.onopen = () => this.setStatus('live');
    source.onerror = () => {
      if (this.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // refused (401, a 5xx, not an event stream): let an api call say whether the session ended
        this.setStatus('offline');
        this.source = undefined;
        source.close();
        whoami().then(
          () => this.scheduleRetry(),
          () => this.scheduleRetry(),
        );
      } else this.setStatus('connecting');
    };
    for (const type of TYPES) {
      source.addEventListener(type, (message: MessageEvent<string>) => {
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(message.data) as Record<string, unknown>;
        } catch {
          data = { text: message.data };
        }
        const event: ClusterEvent = { id: message.lastEventId || String(Date.now()), type, at: new Date(), data };
        this.events = [event, ...this.events].slice(0, KEEP);
        for (const listener of this.listeners) listener(event);
        this.notify();
      });
    }
  }

  stop(): void {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = undefined;
    this.setStatus('offline');
  }

  reset(): void {
    this.stop();
    this.events = [];
    this.notify();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  watch(watcher: () => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private scheduleRetry(): void {
    clearTimeout(this.retry);
    if (!eventsUrl()) return;
    this.retry = setTimeout(() => this.start(), RETRY_MS);
  }

  private setStatus(status: FeedStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.notify();
  }

  private notify(): void {
    for (const watcher of this.watchers) watcher();
  }
}

export const feed = new EventFeed();

/** The latest events and the connection's state, re-rendering on each change. */
export function useFeed(): { events: ClusterEvent[]; status: FeedStatus } {
  const [, setTick] = useState(0);
  useEffect(() => feed.watch(() => setTick((n) => n + 1)), []);
  return { events: feed.events, status: feed.status };
}

/**
 * Calls `onChange` (debounced) when an event of one of `types` arrives that `filter` accepts:
 * pages reload their data then instead of polling fast.
 */
export function useEventRefresh(types: ClusterEventType[], onChange: () => void, filter?: (event: ClusterEvent) => boolean, debounceMs = 250): void {
  const latest = useRef({ onChange, filter });
  latest.current = { onChange, filter };
  const key = types.join(',');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = feed.subscribe((event) => {
      if (!key.split(',').includes(event.type)) return;
      if (latest.current.filter && !latest.current.filter(event)) return;
      clearTimeout(timer);
      timer = setTimeout(() => latest.current.onChange(), debounceMs);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [key, debounceMs]);
}

/** One line that says what an event is about. */
export function describeEvent(event: ClusterEvent): string {
  const d = event.data as Record<string, string | number | undefined>;
  switch (event.type) {
    case 'node':
      return `node ${d['hostname'] ?? d['nodeId']} is ${d['state']}`;
    case 'task': {
      const extra = [d['exitCode'] !== undefined ? `exit ${d['exitCode']}` : '', d['reason'] ?? '', d['health'] ? `health ${d['health']}` : ''].filter(Boolean).join(', ');
      return `task ${d['taskId']} ${d['state']}${extra ? ` (${extra})` : ''}`;
    }
    case 'service':
      return `service ${d['name']} v${d['version']}: ${d['rollout']}${d['message'] ? ` — ${d['message']}` : ''}`;
    case 'push':
      return `pushed ${d['repository']}${d['tag'] ? `:${d['tag']}` : ''}`;
    case 'delete':
      return `deleted ${d['repository']}${d['tag'] ? `:${d['tag']}` : d['digest'] ? `@${String(d['digest']).slice(0, 19)}` : ''}`;
    default:
      return event.type;
  }
}
