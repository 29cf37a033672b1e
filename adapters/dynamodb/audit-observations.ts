import { HopObserver, type ObservedHops } from '../../core/map';
import type { AuditStore } from './audit-store';

export interface ObserveOptions {
  /** Only streams starting with this (orders' streams are `order-<id>`). @default 'order-' */
  readonly streamPrefix?: string;
  /** Read at most this many streams (in the order the table lists them). @default 1000 */
  readonly maxStreams?: number;
  /** Called after each stream, for progress. */
  readonly onStream?: (streamsRead: number) => void;
}

/**
 * Reads saga step timings from the audit log through the audit store: every stream (an order's history)
 * is read in sequence order and fed to the pure HopObserver. Read-only.
 */
export async function observeHops(
  store: Pick<AuditStore, 'listStreams' | 'readStream'>,
  options: ObserveOptions = {},
): Promise<ObservedHops & { readonly streams: number }> {
  const prefix = options.streamPrefix ?? 'order-';
  const max = options.maxStreams ?? 1000;
  const observer = new HopObserver();
  let streams = 0;
  for await (const stream of store.listStreams()) {
    if (!stream.startsWith(prefix)) continue;
    if (streams >= max) break;
    streams++;
    for await (const entry of store.readStream(stream)) {
      observer.add({
        stream,
        detailType: entry.detailType,
        eventTime: entry.eventTime,
        recordedAt: entry.recordedAt,
        payload: entry.payload,
      });
    }
    options.onStream?.(streams);
  }
  return { ...observer.result(), streams };
}
