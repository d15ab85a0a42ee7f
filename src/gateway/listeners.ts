/**
 * 2026-07-28 `subscriptions/listen`: a long-lived request whose answer stream carries the
 * notifications a client asked for (list changes, updates of named resources), each stamped
 * with `_meta["io.modelcontextprotocol/subscriptionId"]` = the listen request's id. It replaces
 * the 2025 GET stream and `resources/subscribe`. The gateway honours only what some server offers.
 */
import type { JsonRpcId, JsonRpcNotification } from '../protocol/envelope.ts';
import { META } from '../protocol/revisions.ts';
import type { Session } from './session.ts';

export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

interface Listener {
  session: Session;
  id: JsonRpcId;
  filter: ListenFilter;
  end: () => void;
}

const FILTER_FOR: Record<string, keyof ListenFilter> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

/** At most this many open listens per gateway: each holds a stream open. */
export const MAX_LISTENERS = 1024;

export class Listeners {
  private readonly all = new Set<Listener>();

  get size(): number {
    return this.all.size;
  }

  /** Resolves when the listen ends: the client cancels or disconnects, or the gateway stops. */
  add(session: Session, id: JsonRpcId, filter: ListenFilter): Promise<void> {
    return new Promise((resolve) => {
      const l: Listener = {
        session,
        id,
        filter,
        end: () => {
          this.all.delete(l);
          session.listens.delete(id);
          resolve();
        },
      };
      this.all.add(l);
      session.listens.set(id, l.end);
      session.send(
        JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: filter, _meta: { [META.subscriptionId]: id } } }),
        id,
      );
    });
  }

  /** Deliver a server notification to every listen whose filter asks for it. */
  publish(msg: JsonRpcNotification, uri?: string): void {
    const key = FILTER_FOR[msg.method];
    for (const l of this.all) {
      const wanted = key ? l.filter[key] === true : uri !== undefined && (l.filter.resourceSubscriptions ?? []).includes(uri);
      if (!wanted) continue;
      const params = { ...msg.params, ...(uri !== undefined ? { uri } : {}), _meta: { ...(msg.params?._meta as object | undefined), [META.subscriptionId]: l.id } };
      l.session.send(JSON.stringify({ jsonrpc: '2.0', method: msg.method, params }), l.id);
    }
  }

  endAll(): void {
    for (const l of [...this.all]) l.end();
  }
}
