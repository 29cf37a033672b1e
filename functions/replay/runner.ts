import { DiffReport, NoiseProfile, RuleBook, compareInteraction, type DiffReportJson } from '../../core/compare';
import { CutoverError } from '../../core/errors';
import { deterministicId } from '../../core/events/envelope';
import {
  ReplayCheckpoint,
  ReplayControl,
  TokenBucket,
  planReplay,
  replayFingerprint,
  replayMarkFor,
  runReplay,
  type ReplayRunResult,
  type SkippedRecord,
} from '../../core/replay';
import type { Spec } from '../../core/spec';
import { Translator } from '../../core/translate/translator';
import type { CapturedInputKey, CapturedStore } from '../../adapters/dynamodb/captured-store';
import { Logger } from '../shared/logger';
import type { ReportStore, SentRecord } from '../../adapters/dynamodb/report-store';
import {
  FINAL_STATUSES,
  REPLAY_DEFAULTS,
  ReplayStateError,
  filterOf,
  parseReplayRequest,
  type ReplayRequest,
} from '../../core/replay/request';
import type { ReplayState, ReplayStateStore } from '../../adapters/dynamodb/replay-state-store';
import {
  buildShadowEvent,
  ownsOutcome,
  targetProfile,
  type ShadowInvocationEvent,
  type TargetProfile,
} from '../../core/replay/shadow-event';

/**
 * The replay, as a sequence of time-bounded slices. One Lambda invocation runs one slice; whatever is left
 * goes on in the next invocation, started by a "continue" message on the replay's work queue. All the
 * replay remembers lives in its ReplayState item (checkpoint, phase, status), so a crash loses at most
 * the sends since the last checkpoint save, which the target can recognise by their replayEventId.
 *
 *   send     plan the window (captured inputs, filters, per-entity order), send each input to the target
 *            function in shadow mode, rate-bounded, checkpointing; a corrupt record is reported and skipped
 *   settle   wait `settleSeconds` for the target's last outcome events to be collected
 *   compare  pair each interaction's recorded monolith outcomes with the target's, write the DiffReport
 *
 * Pause, resume and cancel are status changes on the state item, which a running slice polls.
 */
export class UnknownTargetError extends CutoverError {}

/** The target function answered with an error: counted as a service failure for that interaction. */
export class TargetFailedError extends CutoverError {
  public constructor(
    public readonly errorType: string,
    message: string,
    context: Record<string, unknown> = {},
  ) {
    super(message, { errorType, ...context });
    // The failure is reported under the target's own error type.
    this.name = errorType || 'TargetFailedError';
  }
}

export interface TargetInvoker {
  /** Call the target synchronously; throws TargetFailedError when it fails. */
  invoke(functionName: string, event: ShadowInvocationEvent): Promise<void>;
}

export interface WorkQueue {
  /** Ask for another slice of `replayId`, after `delaySeconds` (at most 900). */
  continueLater(replayId: string, delaySeconds: number): Promise<void>;
}

export interface LifecycleSink {
  /** Put a `replay.*` event on the services bus (the audit log's catch-all rule records it). */
  emit(type: string, replayId: string, data: Record<string, unknown>): Promise<void>;
}

export interface ReplayRunnerDeps {
  readonly spec: Spec;
  readonly captured: CapturedStore;
  readonly reports: ReportStore;
  readonly state: ReplayStateStore;
  readonly invoker: TargetInvoker;
  readonly queue: WorkQueue;
  readonly lifecycle: LifecycleSink;
  /** Capability name -> function name (or ARN) of its candidate. */
  readonly targets: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often a running slice re-reads the state item for pause and cancel. @default 1000 */
  readonly pollMs?: number;
  /** Checkpoint saves: every N completions. @default 25 */
  readonly saveEvery?: number;
}

export type SliceOutcome = 'unknown-replay' | 'final' | 'paused' | 'busy' | 'yielded' | 'settling' | 'completed' | 'cancelled' | 'rejected';

/** A message on the work queue: a replay to start, or one to go on with. */
export type WorkMessage =
  | { readonly kind: 'start'; readonly request: unknown }
  | { readonly kind: 'continue'; readonly replayId: string }
  | { readonly 'detail-type': 'replay.requested'; readonly id?: string; readonly time?: string; readonly detail?: unknown };

export interface SliceContext {
  /** Identifies this invocation as the lease holder. */
  readonly owner: string;
  /** Epoch ms by which the slice must have saved and stopped. */
  readonly deadline: number;
}

/** How much longer than the slice the lease lasts: a crashed runner's lease runs out before SQS redelivers. */
export const LEASE_MARGIN_MS = 30_000;

export class ReplayRunner {
  private readonly translator: Translator;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(private readonly deps: ReplayRunnerDeps) {
    this.translator = new Translator(deps.spec);
    this.logger = deps.logger ?? new Logger('replay');
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  public fingerprint(request: ReplayRequest): string {
    return replayFingerprint(filterOf(request), this.deps.captured.tableName, request.target);
  }

  /**
   * Create the replay (idempotent: the same id twice is one replay). Throws ReplayRequestError or
   * UnknownTargetError naming the problem.
   */
  public async create(input: unknown, fallbackId: string): Promise<{ replayId: string; created: boolean }> {
    const request = parseReplayRequest(input);
    if (!this.deps.targets[request.target]) {
      throw new UnknownTargetError(
        `target ${JSON.stringify(request.target)} has no replay function; known targets: ${Object.keys(this.deps.targets).join(', ') || '(none)'}`,
        {
          target: request.target,
        },
      );
    }
    const replayId = request.replayId ?? fallbackId;
    const created = (await this.deps.state.create(replayId, { ...request, replayId }, this.fingerprint(request))) === 'created';
    return { replayId, created };
  }

  /** One work-queue message: start (creating the replay) or continue, then run a slice. */
  public async handleMessage(message: WorkMessage, ctx: SliceContext): Promise<SliceOutcome> {
    let replayId: string;
    if ('kind' in message && message.kind === 'continue') {
      replayId = message.replayId;
    } else {
      const request = 'kind' in message ? message.request : message.detail;
      const eventId = 'kind' in message ? undefined : message.id;
      const fallback = `r-${deterministicId('replay.requested', eventId ?? JSON.stringify(request ?? null)).slice(0, 13)}`;
      try {
        replayId = (await this.create(request, fallback)).replayId;
      } catch (err) {
        if (err instanceof CutoverError) {
          // A request that can never succeed is reported (and audited), not retried.
          this.logger.warn('replay request rejected', { error: err });
          const id =
            request && typeof request === 'object' && typeof (request as { replayId?: unknown }).replayId === 'string'
              ? (request as { replayId: string }).replayId
              : fallback;
          await this.deps.lifecycle.emit('replay.rejected', id, { reason: err.message });
          return 'rejected';
        }
        throw err;
      }
    }
    return this.slice(replayId, ctx);
  }

  /** Run as much of the replay as fits before `ctx.deadline`, then arrange the next slice. */
  public async slice(replayId: string, ctx: SliceContext): Promise<SliceOutcome> {
    const before = await this.deps.state.get(replayId);
    if (!before) {
      this.logger.warn('continue for an unknown replay: ignored', { replayId });
      return 'unknown-replay';
    }
    if (FINAL_STATUSES.includes(before.status)) return 'final';
    if (before.status === 'paused') return 'paused';
    if (!(await this.deps.state.acquireLease(replayId, ctx.owner, ctx.deadline + LEASE_MARGIN_MS))) {
      // Another invocation is working on it and will carry on; this message is a duplicate.
      return 'busy';
    }
    let outcome: SliceOutcome;
    try {
      if (!before.startedAt) {
        // The first slice (whoever created the replay: the CLI, this runner, a bus event) announces it.
        const r = before.request;
        await this.deps.lifecycle.emit('replay.started', replayId, {
          target: r.target,
          from: r.from,
          to: r.to,
          filter: filterOf(r),
          requestedBy: r.requestedBy ?? null,
        });
      }
      await this.deps.state.markRunning(replayId, ctx.owner);
      const st = (await this.deps.state.get(replayId)) as ReplayState;
      outcome = await this.runPhases(st, ctx);
    } finally {
      await this.deps.state.releaseLease(replayId, ctx.owner);
    }
    await this.scheduleNext(replayId);
    return outcome;
  }

  /** After the lease is given back: continue unless the replay is finished or paused (read fresh, so a resume in between is not lost). */
  private async scheduleNext(replayId: string): Promise<void> {
    const st = await this.deps.state.get(replayId);
    if (!st || FINAL_STATUSES.includes(st.status) || st.status === 'paused' || st.phase === 'done') return;
    let delay = 0;
    if (st.phase === 'settle' && st.settleUntil) delay = Math.max(0, Math.ceil((Date.parse(st.settleUntil) - this.now()) / 1000));
    await this.deps.queue.continueLater(replayId, Math.min(900, delay));
  }

  private async runPhases(st: ReplayState, ctx: SliceContext): Promise<SliceOutcome> {
    const request = st.request;
    let phase = st.phase;
    if (phase === 'send') {
      const sent = await this.sendPhase(st, ctx);
      if (sent === 'yielded' || sent === 'paused') return sent;
      const settleSeconds = request.settleSeconds ?? REPLAY_DEFAULTS.settleSeconds;
      await this.deps.state.update(st.replayId, ctx.owner, {
        phase: 'settle',
        settleUntil: new Date(this.now() + settleSeconds * 1000).toISOString(),
      });
      phase = 'settle';
      st = (await this.deps.state.get(st.replayId)) as ReplayState;
    }
    if (phase === 'settle') {
      const until = st.settleUntil ? Date.parse(st.settleUntil) : 0;
      const wait = until - this.now();
      // A short wait is spent here; a long one is left to a delayed message, so no invocation idles.
      if (wait > 0 && this.now() + wait < ctx.deadline && wait <= 15_000) await this.sleep(wait);
      else if (wait > 0) return 'settling';
      await this.deps.state.update(st.replayId, ctx.owner, { phase: 'compare' });
      phase = 'compare';
    }
    if (phase === 'compare') return this.comparePhase(st, ctx);
    return 'final';
  }

  private async sendPhase(st: ReplayState, ctx: SliceContext): Promise<'yielded' | 'paused' | 'cancelled' | 'sent'> {
    const { replayId, request } = st;
    if (st.status === 'cancelling') return 'cancelled';
    const target = request.target;
    const functionName = this.deps.targets[target];
    if (!functionName) throw new UnknownTargetError(`target ${target} has no replay function`, { target });
    const profile = targetProfile(this.deps.spec, target);
    const filter = filterOf(request);
    const fingerprint = st.fingerprint ?? this.fingerprint(request);
    const checkpoint = st.checkpoint ? ReplayCheckpoint.fromJSON(st.checkpoint, fingerprint) : ReplayCheckpoint.start(fingerprint);

    // Plan once, in the first slice, and freeze it: later slices send exactly what was planned.
    let planned = await this.deps.reports.getPlan(replayId);
    let skippedAtPlan = 0;
    if (!planned) {
      const types = request.types ?? profile.inputTypes;
      const keys: CapturedInputKey[] = [];
      const skipped: SkippedRecord[] = [];
      for await (const k of this.deps.captured.inputsInWindow({ fromMs: Date.parse(request.from), toMs: Date.parse(request.to), types })) {
        if (k.ok) keys.push(k.key);
        else skipped.push(k.skipped);
      }
      const fresh = planReplay(keys, (k) => k, { ...filter, ...(types ? { types } : {}) });
      skipped.push(...fresh.duplicates);
      for (const s of skipped) await this.deps.reports.putSkipped(replayId, s);
      await this.deps.reports.putPlan(replayId, fresh.items);
      planned = [...fresh.items];
      skippedAtPlan = skipped.length;
    }
    const plan = planReplay(planned, (k) => k);

    let sendSkips = 0;
    let fatal: unknown;
    let stopReason: 'yield' | 'paused' | 'cancel' | undefined;
    const control = new ReplayControl();
    let polling = false;
    const poll = setInterval(() => {
      if (stopReason || polling) return;
      if (this.now() >= ctx.deadline) {
        stopReason = 'yield';
        control.cancel();
        return;
      }
      polling = true;
      this.deps.state
        .get(replayId)
        .then((s) => {
          if (stopReason || !s) return;
          if (s.status === 'paused') stopReason = 'paused';
          else if (s.status === 'cancelling' || FINAL_STATUSES.includes(s.status)) stopReason = 'cancel';
          if (stopReason) control.cancel();
        })
        .catch((err: unknown) => this.logger.warn('could not read the replay state; will try again', { replayId, error: err }))
        .finally(() => {
          polling = false;
        });
    }, this.deps.pollMs ?? 1000);

    const rate = request.ratePerSecond ?? REPLAY_DEFAULTS.ratePerSecond;
    const concurrency = request.concurrency ?? REPLAY_DEFAULTS.concurrency;
    const progress = (done: number, result?: Pick<ReplayRunResult, 'failed' | 'blocked'>) => ({
      planned: plan.items.length,
      done,
      skipped: skippedAtPlan + sendSkips,
      failed: result?.failed ?? 0,
      blocked: result?.blocked ?? 0,
    });
    let result: ReplayRunResult;
    try {
      result = await runReplay<CapturedInputKey>({
        plan,
        checkpoint,
        concurrency,
        limiter: new TokenBucket({ ratePerSecond: rate, burst: Math.max(1, Math.min(rate, concurrency)), now: this.now }),
        control,
        sleep: this.sleep,
        saveEvery: this.deps.saveEvery ?? 25,
        saveCheckpoint: (cp) => this.deps.state.update(replayId, ctx.owner, { checkpoint: cp, progress: progress(cp.done) }),
        send: async (key) => {
          try {
            if ((await this.sendOne(replayId, request, profile, functionName, key)) === 'skipped') sendSkips += 1;
          } catch (err) {
            // The target failing is a finding about the target; anything else (a table, the Lambda API)
            // stops the slice, so SQS retries it from the checkpoint instead of blaming the target.
            if (!(err instanceof TargetFailedError)) {
              fatal ??= err;
              control.cancel();
            }
            throw err;
          }
        },
      });
    } finally {
      clearInterval(poll);
    }
    if (fatal !== undefined) {
      await this.deps.state.update(replayId, ctx.owner, {
        checkpoint: result.checkpoint,
        progress: progress(result.checkpoint.done, result),
      });
      throw fatal;
    }
    await this.deps.state.update(replayId, ctx.owner, {
      checkpoint: result.checkpoint,
      progress: progress(result.checkpoint.done, result),
    });
    if (stopReason === 'yield') return 'yielded';
    if (stopReason === 'paused') {
      await this.deps.lifecycle.emit('replay.paused', replayId, { done: result.checkpoint.done, planned: plan.items.length });
      return 'paused';
    }
    // Sent everything it could (or was cancelled): items that failed, and those held back behind them, are final.
    for (const b of result.blockedItems) {
      await this.deps.reports.putSent(replayId, {
        interactionId: b.id,
        status: 'blocked',
        entityId: b.entityId,
        behind: b.behind,
        sentAt: new Date(this.now()).toISOString(),
      });
    }
    return stopReason === 'cancel' ? 'cancelled' : 'sent';
  }

  /** Send one planned input. A corrupt or unreplayable record is reported and counts as done. */
  private async sendOne(
    replayId: string,
    request: ReplayRequest,
    profile: TargetProfile,
    functionName: string,
    key: CapturedInputKey,
  ): Promise<'sent' | 'skipped'> {
    const spec = this.deps.spec;
    const built = await this.deps.captured.interactionFor(key, {
      knownVersions: (type) => {
        const def = spec.bridge.serviceEvents[type];
        return def ? Object.keys(def.versions).map(Number) : undefined;
      },
    });
    if (!built.ok) {
      await this.deps.reports.putSkipped(replayId, built.skipped);
      this.logger.warn('captured record skipped', { replayId, ...built.skipped });
      return 'skipped';
    }
    const i = built.interaction;
    const mark = replayMarkFor(replayId, i.id);
    const shadow = buildShadowEvent(
      spec,
      this.translator,
      {
        id: i.id,
        type: i.input.type,
        version: i.input.version,
        payload: i.input.payload,
        entity: i.entity,
        correlationId: i.correlationId,
        capturedAt: i.capturedAt,
      },
      mark,
      profile,
    );
    if (!shadow.ok) {
      await this.deps.reports.putSkipped(replayId, {
        id: i.id,
        code: 'invalid-record',
        reason: `captured input ${i.id}: ${shadow.reason}`,
        field: 'input',
      });
      return 'skipped';
    }
    const expected = i.outcomes.filter((o) => ownsOutcome(spec, request.target, o.type));
    const sent: SentRecord = {
      interactionId: i.id,
      status: 'sent',
      entityId: `${i.entity.type}#${i.entity.key}`,
      inputType: i.input.type,
      sentType: shadow.event['detail-type'],
      expected,
      excludedOutcomes: i.outcomes.length - expected.length,
      sentAt: new Date(this.now()).toISOString(),
    };
    // Written before the call: an outcome collected for it always finds what it is compared with.
    await this.deps.reports.putSent(replayId, sent);
    try {
      await this.deps.invoker.invoke(functionName, shadow.event);
    } catch (err) {
      if (err instanceof TargetFailedError)
        await this.deps.reports.putSent(replayId, { ...sent, status: 'failed', error: { name: err.name, message: err.message } });
      throw err;
    }
    return 'sent';
  }

  /** Build the report from everything the replay stored, store it, and finish the replay. */
  public async buildReport(st: ReplayState): Promise<{ report: DiffReportJson; orphans: number }> {
    const { replayId, request } = st;
    const rules = new RuleBook(this.deps.spec.capture?.compare ?? {}, { capability: request.target });
    const noise = request.noise ? NoiseProfile.fromJSON(request.noise) : undefined;
    const report = new DiffReport({
      replayId,
      target: request.target,
      source: `${this.deps.captured.tableName} [${request.from}, ${request.to})`,
      startedAt: st.createdAt,
    });
    for await (const s of this.deps.reports.skipped(replayId)) report.addSkipped(s);
    let orphans = 0;
    for await (const g of this.deps.reports.interactions(replayId)) {
      const sent = g.sent;
      if (!sent) {
        orphans += 1;
        continue;
      }
      if (sent.status === 'failed') report.addFailure(g.interactionId, sent.error ?? { name: 'Error', message: 'the target failed' });
      else if (sent.status === 'blocked') {
        report.addFailure(g.interactionId, {
          name: 'BlockedBehindFailure',
          message: `not sent: an earlier event of ${sent.entityId} (${sent.behind ?? '?'}) failed, and order per entity is kept`,
        });
      } else {
        const actual = [...g.actual]
          .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : a.eventId < b.eventId ? -1 : 1))
          .map((a) => a.event);
        report.addComparison(compareInteraction(g.interactionId, sent.expected ?? [], actual, { rules, noise }));
      }
    }
    return { report: report.finish(new Date(this.now())).toJSON(), orphans };
  }

  private async comparePhase(st: ReplayState, ctx: SliceContext): Promise<'completed' | 'cancelled'> {
    const { replayId } = st;
    const { report, orphans } = await this.buildReport(st);
    const stored = await this.deps.reports.putReport(replayId, report);
    const fresh = await this.deps.state.get(replayId);
    const status = fresh?.status === 'cancelling' ? 'cancelled' : 'completed';
    const totals = { ...report.totals } as unknown as Record<string, number>;
    try {
      await this.deps.state.update(replayId, ctx.owner, { status, phase: 'done', finishedAt: new Date(this.now()).toISOString(), totals });
    } catch (err) {
      if (err instanceof ReplayStateError) this.logger.warn('report stored, but the state changed meanwhile', { replayId });
      throw err;
    }
    if (orphans > 0) this.logger.warn('outcomes collected for interactions this replay never sent', { replayId, orphans });
    await this.deps.lifecycle.emit(status === 'completed' ? 'replay.completed' : 'replay.cancelled', replayId, {
      totals,
      reportChunks: stored.chunks,
      orphanOutcomes: orphans,
    });
    return status;
  }

  /** The last attempt at a slice failed for good: say so in the state and the audit log. */
  public async fail(replayId: string, error: unknown): Promise<void> {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    try {
      await this.deps.state.markFailed(replayId, message);
      await this.deps.lifecycle.emit('replay.failed', replayId, { error: message });
    } catch (err) {
      this.logger.error('could not record the replay failure', { replayId, error: err });
    }
  }
}
