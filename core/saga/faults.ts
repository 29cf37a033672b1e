import { z } from 'zod';
import { StepTransientError } from './errors';
import { ConfigurationError } from '../errors';

/*
 * Fault injection for the reference services, driven by configuration (the CUTOVER_FAULTS environment
 * variable of a deployment, or a test harness) and off when nothing is configured. The production path
 * holds no randomness of its own: a rate only applies when a plan names it, with the random source the
 * caller gives.
 *
 *   { "ProcessPayment": { "failTimes": 1, "phase": "after" },   // the charge lands, then the call fails once
 *     "ReserveInventory": { "failRate": 0.2, "latencyMs": 50 } }
 *
 * Keys are saga action ids (ReserveInventory, RefundPayment...) or "*" for every action.
 */

export const faultSpecSchema = z
  .object({
    /** Fail the first N calls of this action per order. */
    failTimes: z.number().int().min(0).optional(),
    /** Fail each call with this probability (needs a random source). */
    failRate: z.number().min(0).max(1).optional(),
    /** Fail every call, with this error name (e.g. CardDeclined, CompensationRefused, TransientError). */
    failAlways: z.string().min(1).optional(),
    /** Error name for failTimes / failRate. @default TransientError */
    error: z.string().min(1).optional(),
    /** `before` the effect (nothing happened) or `after` it (the effect landed, the caller sees an error). @default before */
    phase: z.enum(['before', 'after']).optional(),
    /**
     * Call by call (per action and order): `ok`, `before` / `after` (a TransientError before or after the
     * effect), or an error name (raised before the effect). Calls beyond the list follow the other fields.
     */
    sequence: z.array(z.string().min(1)).optional(),
    /** Added latency per call. */
    latencyMs: z.number().int().min(0).max(60_000).optional(),
  })
  .strict();
export type FaultSpec = z.infer<typeof faultSpecSchema>;
export const faultPlanSchema = z.record(z.string(), faultSpecSchema);
export type FaultPlan = z.infer<typeof faultPlanSchema>;

/** Parses CUTOVER_FAULTS; throws naming the problem, so a typo cannot silently disable a test's faults. */
export function parseFaultPlan(json: string | undefined): FaultPlan {
  if (json === undefined || json.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (cause) {
    throw new ConfigurationError(`CUTOVER_FAULTS is not JSON: ${(cause as Error).message}`, { setting: 'CUTOVER_FAULTS' }, { cause });
  }
  const parsed = faultPlanSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigurationError(`CUTOVER_FAULTS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
      setting: 'CUTOVER_FAULTS',
    });
  }
  return parsed.data;
}

/** An error with a given Step Functions error name. */
export class InjectedFault extends Error {
  public constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class FaultInjector {
  private readonly counts = new Map<string, number>();

  public constructor(
    private readonly plan: FaultPlan = {},
    private readonly random: () => number = () => 1,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  public get enabled(): boolean {
    return Object.keys(this.plan).length > 0;
  }

  /** Call around the effect: `await faults.around('ProcessPayment', orderId, () => charge())`. */
  public async around<T>(action: string, orderId: string, effect: () => Promise<T>): Promise<T> {
    const spec = this.plan[action] ?? this.plan['*'];
    if (!spec) return effect();
    if (spec.latencyMs) await this.sleep(spec.latencyMs);
    const key = `${action}:${orderId}`;
    const scripted = spec.sequence?.[this.counts.get(key) ?? 0];
    if (scripted !== undefined) {
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      if (scripted === 'ok') return effect();
      if (scripted === 'after') {
        await effect();
        throw new StepTransientError(`injected fault in ${action} (after the effect)`, { action, phase: 'after' });
      }
      if (scripted === 'before')
        throw new StepTransientError(`injected fault in ${action} (before the effect)`, { action, phase: 'before' });
      throw new InjectedFault(scripted, `injected ${scripted} in ${action}`);
    }
    const fail = this.shouldFail(spec, key);
    if (fail && (spec.phase ?? 'before') === 'before') throw this.error(spec, action, 'before');
    const result = await effect();
    if (fail) throw this.error(spec, action, 'after');
    return result;
  }

  private shouldFail(spec: FaultSpec, key: string): boolean {
    if (spec.failAlways) return true;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (spec.failTimes !== undefined && n <= spec.failTimes) return true;
    return spec.failRate !== undefined && this.random() < spec.failRate;
  }

  private error(spec: FaultSpec, action: string, phase: string): Error {
    const name = spec.failAlways ?? spec.error ?? 'TransientError';
    const message = `injected fault in ${action} (${phase} the effect)`;
    return name === 'TransientError' ? new StepTransientError(message, { action, phase }) : new InjectedFault(name, message);
  }
}
