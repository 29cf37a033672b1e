import { readinessFor, type Spec } from '../../core/spec';
import type { SyncStatusSource } from './gather';

/** What the deployed sync says, read from its stack outputs (the CLI) or faked (tests). */
export interface DeployedSyncReads {
  /** Open conflicts in the ledger, by entity. */
  openConflicts(): Promise<ReadonlyMap<string, number>>;
  /** The relay's published lag (s), the largest over the last minutes; undefined when it did not run. */
  relayLagSeconds(): Promise<number | undefined>;
  /** The stream applier's IteratorAge (ms); undefined when no service write reached it lately. */
  streamLagMs(): Promise<number | undefined>;
}

/**
 * `cutover status` and `cutover readiness` read two-way sync from the deployed Cutover-Sync stack: a
 * capability's synced entities are its readiness entities that the spec's sync section names; its lag is
 * the larger of the relay's (monolith -> services) and the stream applier's (services -> monolith); its
 * open conflicts are the ledger's open entries of those entities. One read serves the capabilities of one
 * command (a few seconds), not a long-lived caller's later commands.
 */
export class DeployedSyncStatus implements SyncStatusSource {
  private cached?: { at: number; reads: Promise<[ReadonlyMap<string, number>, number | undefined, number | undefined]> };

  public constructor(
    private readonly spec: Spec,
    private readonly reads: DeployedSyncReads,
    /** How long one read serves every capability that asks (one command's screen). @default 5000 */
    private readonly reuseMs = 5_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The capability's entities that sync (its readiness entities named in the sync section). */
  public syncedEntities(capability: string): string[] {
    const synced = new Set(Object.keys(this.spec.sync?.entities ?? {}));
    return readinessFor(this.spec.readiness, capability).entities.filter((e) => synced.has(e));
  }

  public async status(capability: string): Promise<{ lagSeconds: number; openConflicts: number } | undefined> {
    const entities = this.syncedEntities(capability);
    if (entities.length === 0) return undefined;
    if (this.cached === undefined || this.clock() - this.cached.at > this.reuseMs) {
      this.cached = {
        at: this.clock(),
        reads: Promise.all([this.reads.openConflicts(), this.reads.relayLagSeconds(), this.reads.streamLagMs()]),
      };
    }
    const [open, relay, streamMs] = await this.cached.reads;
    if (relay === undefined)
      throw new Error(
        'the relay published no lag in the last 5 minutes: sync is stopped or the relay is not running (`cutover sync status`, `cutover sync start`)',
      );
    return {
      lagSeconds: Math.max(relay, (streamMs ?? 0) / 1000),
      openConflicts: entities.reduce((n, e) => n + (open.get(e) ?? 0), 0),
    };
  }
}
