import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CutoverError } from '../errors';
import type { ReplayFilter } from './plan';

/** A replay's lifecycle (the ReplayState table's `status` and `phase`; see adapters/dynamodb/replay-state-store). */
export type ReplayStatus = 'pending' | 'running' | 'paused' | 'cancelling' | 'cancelled' | 'completed' | 'failed';
export type ReplayPhase = 'send' | 'settle' | 'compare' | 'done';
export const FINAL_STATUSES: readonly ReplayStatus[] = ['completed', 'cancelled', 'failed'];

/** A replay request names its field and value when it is wrong. */
export class ReplayRequestError extends CutoverError {}
/** The replay is not in a state that allows the change (e.g. resuming a completed replay). */
export class ReplayStateError extends CutoverError {}

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'must be an ISO 8601 time' });

export const replayRequestSchema = z
  .object({
    replayId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64), starting with a letter or digit')
      .optional(),
    /** The capability replayed to (a key of the replay function's targets). */
    target: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'a capability name'),
    from: isoTime,
    to: isoTime,
    types: z.array(z.string().min(1)).optional(),
    entityIds: z.array(z.string().min(1)).optional(),
    samplePercent: z.number().gt(0).max(100).optional(),
    sampleSeed: z.string().optional(),
    /** Events sent per second. @default 20 */
    ratePerSecond: z.number().gt(0).max(10_000).optional(),
    /** Entities in flight at once. @default 4 */
    concurrency: z.number().int().min(1).max(64).optional(),
    /** Seconds to wait after the last send for the target's outcomes to arrive. @default 10 */
    settleSeconds: z.number().int().min(0).max(3600).optional(),
    noise: z.object({ fields: z.record(z.string(), z.array(z.string())), unstableCounts: z.array(z.string()) }).optional(),
    requestedBy: z.string().max(200).optional(),
  })
  .strict()
  .refine((r) => Date.parse(r.from) < Date.parse(r.to), { message: 'from must be before to', path: ['from'] });

export type ReplayRequest = z.infer<typeof replayRequestSchema>;

export const REPLAY_DEFAULTS = { ratePerSecond: 20, concurrency: 4, settleSeconds: 10 } as const;

/** Check a request; the error lists every problem by field path and value. */
export function parseReplayRequest(input: unknown): ReplayRequest {
  const r = replayRequestSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = i.path.map(String).join('.') || '(request)';
    const value = i.path.reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined),
      input,
    );
    return `${path}: ${i.message}${value !== undefined ? ` (got ${JSON.stringify(value)})` : ''}`;
  });
  throw new ReplayRequestError(`invalid replay request: ${problems.join('; ')}`, { problems });
}

/** `r-20260301T101502-a1b2c3`: sortable by start time, unique enough for one account. */
export function newReplayId(now: Date = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `r-${t}-${randomBytes(3).toString('hex')}`;
}

export function filterOf(r: ReplayRequest): ReplayFilter {
  return {
    from: r.from,
    to: r.to,
    ...(r.types ? { types: r.types } : {}),
    ...(r.entityIds ? { entityIds: r.entityIds } : {}),
    ...(r.samplePercent !== undefined ? { samplePercent: r.samplePercent } : {}),
    ...(r.sampleSeed !== undefined ? { sampleSeed: r.sampleSeed } : {}),
  };
}
