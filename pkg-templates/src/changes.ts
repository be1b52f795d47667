// Change events as apps subscribe to them, shared by the client and the in-worker loader: a filter by
// channel and type, and the set of subscribers one store's changes are delivered to.
import type { StoreChange } from './mls_web_store.js';

/** A change as delivered: the store's, or `ownerChanged` when another tab took the store over (changes made
 * meanwhile may not have been told: re-read what is shown). */
export type ClientChange = StoreChange | { type: 'ownerChanged' };

export interface ChangeFilter {
  /** Only this channel's changes (and the store-wide ones: storeReplaced, historyMerged, ownerChanged). */
  channelId?: string;
  types?: ClientChange['type'][];
}

// Changes that concern every channel: a channel filter lets them through.
const STORE_WIDE: ReadonlySet<string> = new Set(['storeReplaced', 'historyMerged', 'ownerChanged']);

export function changeFilter(filter: ChangeFilter | null | undefined): (change: ClientChange) => boolean {
  const channelId = filter?.channelId;
  const types: ReadonlySet<string> | null = filter?.types ? new Set(filter.types) : null;
  return (change) => (!types || types.has(change.type))
    && (channelId === undefined || ('channelId' in change && change.channelId === channelId) || STORE_WIDE.has(change.type));
}

/** The subscribers of one store. */
export class Subscribers {
  private readonly subscribers = new Set<(changes: ClientChange[]) => void>();

  get size(): number {
    return this.subscribers.size;
  }

  /** Calls `callback` with each delivery's changes that pass `filter`; returns the unsubscribe function. */
  add(filter: ChangeFilter | null, callback: (changes: ClientChange[]) => void): () => void {
    const matches = changeFilter(filter);
    const subscriber = (changes: ClientChange[]) => {
      const picked = changes.filter(matches);
      if (picked.length === 0) return;
      try {
        callback(picked);
      } catch (error) {
        // The app's callback failed: report it without stopping the other subscribers.
        setTimeout(() => { throw error; });
      }
    };
    this.subscribers.add(subscriber);
    return () => { this.subscribers.delete(subscriber); };
  }

  deliver(changes: ClientChange[]): void {
    for (const subscriber of this.subscribers) subscriber(changes);
  }
}
