import type { Item } from '../../core/migration';

/** Where backfill writes. */
export interface ItemWriter {
  /** Writes up to 25 items (puts), retrying throttles and unprocessed items; throws `TargetError` when it gives up. */
  writeBatch(items: readonly Item[]): Promise<WriteStats>;
  /** A human name for reports ("dynamodb://orders"). */
  describe(): string;
}

export interface WriteStats {
  /** Requests sent, including retries. */
  readonly requests: number;
  /** Retries caused by throttling or unprocessed items. */
  readonly retries: number;
}

/** An item read from a target, with what is needed to read it again alone. */
export type ItemVisitor = (item: Item, locator: string) => void;

/** What verification reads. */
export interface ItemSource {
  /** Visits every item once (any order). */
  scanItems(visit: ItemVisitor, signal?: AbortSignal): Promise<void>;
  /** Reads items again by key text (with the locator `scanItems` gave); missing keys are left out. */
  fetch(wanted: readonly { readonly key: string; readonly locator: string }[]): Promise<Map<string, Item>>;
  describe(): string;
}
