import { z } from 'zod';
import { StepTransientError } from './errors';
import { ConfigurationError } from '../errors';
import { SAGA_COMPENSATIONS, SAGA_STEPS } from './steps';

/*
 * Fault injection for the reference services, driven by configuration (the CUTOVER_FAULTS environment
 * variable of a deployment, `cdk deploy -c faults=profile.json`, `cutover chaos run`, or a test harness)
 * and off when nothing is configured. The production path holds no randomness of its own: a rate or a
 * latency distribution only applies when a plan names it, with the random source the caller gives.
 *
 *   { "ProcessPayment": { "failTimes": 1, "phase": "after" },              // the charge lands, then the call fails once
 *     "payment.ProcessPayment": { "latency": { "dist": "lognormal", "p50": 500, "p95": 1500 }, "failRate": 0.03 },
 *     "shipping.*": { "partition": { "afterSeconds": 0, "forSeconds": 20 } },  // the carrier unreachable for 20 s
 *     "ReserveInventory": { "throttle": { "ratePerSecond": 5, "burst": 10 } } }
 *
 * Keys: `<service>.<action>`, `<action>`, `<service>.*` or `*`, the first that matches wins. Services are
 * the reference services and `monolith` (the saga-commands function, for steps the monolith owns).
 */

/** The services a key may name: the reference services, and `monolith` for the commands of monolith-owned steps. */
export const FAULT_SERVICES = ['inventory', 'payment', 'shipping', 'notification', 'monolith'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];
/** The saga actions the services wrap in the injector. */
export const FAULT_ACTIONS: readonly string[] = [...SAGA_STEPS, ...SAGA_COMPENSATIONS, 'ConfirmReservation', 'CheckFraudReview'];

/** Sampled latencies are capped here: longer than the functions' timeout is a timeout, and that is enough. */
export const MAX_LATENCY_MS = 60_000;
const ms = (what: string) =>
  z
    .number({ error: `${what} must be a number of milliseconds` })
    .min(0, `${what} must be >= 0`)
    .max(MAX_LATENCY_MS, `${what} must be <= ${MAX_LATENCY_MS}`);

/** Latency per call, a distribution rather than a constant (real dependencies have tails). */
export const latencySchema = z.discriminatedUnion(
  'dist',
  [
    z.object({ dist: z.literal('fixed'), ms: ms('ms') }).strict(),
    z
      .object({ dist: z.literal('uniform'), min: ms('min'), max: ms('max') })
      .strict()
      .refine((l) => l.max >= l.min, { path: ['max'], message: 'max must be >= min' }),
    z
      .object({ dist: z.literal('normal'), p50: ms('p50'), p95: ms('p95') })
      .strict()
      .refine((l) => l.p95 >= l.p50, { path: ['p95'], message: 'p95 must be >= p50' }),
    z
      .object({ dist: z.literal('lognormal'), p50: ms('p50').positive('p50 must be > 0 for a lognormal'), p95: ms('p95') })
      .strict()
      .refine((l) => l.p95 >= l.p50, { path: ['p95'], message: 'p95 must be >= p50' }),
  ],
  { error: 'dist must be one of fixed, uniform, normal, lognormal' },
);
export type LatencySpec = z.infer<typeof latencySchema>;

/** A token bucket: `burst` calls at once, refilled at `ratePerSecond`; a call with no token is throttled (retried). */
export const throttleSchema = z
  .object({
    ratePerSecond: z.number().positive('ratePerSecond must be > 0'),
    burst: z.number().int('burst must be a whole number').min(1, 'burst must be >= 1'),
  })
  .strict();

/**
 * A window in which the action's target is unreachable: absolute (`from`/`until`, ISO date-times) or
 * relative (`afterSeconds`/`forSeconds`, from when the profile is applied: `cutover chaos run`, the synth of
 * `cdk deploy -c faults=...`, or the injector's creation when nothing resolved it before).
 */
export const partitionSchema = z
  .object({
    from: z.iso.datetime({ offset: true, error: 'from must be an ISO date-time' }).optional(),
    until: z.iso.datetime({ offset: true, error: 'until must be an ISO date-time' }).optional(),
    afterSeconds: z.number().min(0, 'afterSeconds must be >= 0').optional(),
    forSeconds: z.number().positive('forSeconds must be > 0').optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const absolute = p.from !== undefined || p.until !== undefined;
    const relative = p.afterSeconds !== undefined || p.forSeconds !== undefined;
    if (absolute && relative)
      ctx.addIssue({ code: 'custom', message: 'give from/until or afterSeconds/forSeconds, not both', path: ['forSeconds'] });
    else if (absolute) {
      if (p.from === undefined || p.until === undefined)
        ctx.addIssue({ code: 'custom', message: 'an absolute window needs both from and until', path: [p.from ? 'until' : 'from'] });
      else if (Date.parse(p.until) <= Date.parse(p.from))
        ctx.addIssue({ code: 'custom', message: `until (${p.until}) must be after from (${p.from})`, path: ['until'] });
    } else if (p.forSeconds === undefined)
      ctx.addIssue({ code: 'custom', message: 'a partition needs from/until or forSeconds', path: ['forSeconds'] });
  });
export type PartitionSpec = z.infer<typeof partitionSchema>;

export const faultSpecSchema = z
  .object({
    /** Fail the first N calls of this action per order. */
    failTimes: z.number().int().min(0).optional(),
    /** Fail each call with this probability (needs a random source). */
    failRate: z.number().min(0, 'failRate is a fraction between 0 and 1').max(1, 'failRate is a fraction between 0 and 1').optional(),
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
    /** Added latency per call, constant (the older form of `latency: { dist: 'fixed' }`). */
    latencyMs: z.number().int().min(0).max(MAX_LATENCY_MS).optional(),
    /** Added latency per call, sampled from a distribution. */
    latency: latencySchema.optional(),
    /** Calls beyond a rate fail as throttled (a TransientError the saga retries). */
    throttle: throttleSchema.optional(),
    /** A window during which every call fails as unreachable, before the effect (a TransientError). */
    partition: partitionSchema.optional(),
    /** Only these orders see the faults (a scenario singling one order out). @default - every order */
    orderIds: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((s) => s.latency === undefined || s.latencyMs === undefined, {
    path: ['latency'],
    message: 'give latency or latencyMs, not both',
  });
export type FaultSpec = z.infer<typeof faultSpecSchema>;

const KEY = /^(?:\*|(?:([a-z]+)\.)?(\*|[A-Za-z]+))$/;
export const faultPlanSchema = z.record(z.string(), faultSpecSchema).superRefine((plan, ctx) => {
  for (const key of Object.keys(plan)) {
    const m = KEY.exec(key);
    const service = m?.[1];
    const action = m?.[2];
    if (!m || (service !== undefined && !(FAULT_SERVICES as readonly string[]).includes(service)))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `key ${JSON.stringify(key)}: expected <service>.<action>, <action>, <service>.* or *, with service one of ${FAULT_SERVICES.join(', ')}`,
      });
    else if (action !== undefined && action !== '*' && !FAULT_ACTIONS.includes(action))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `key ${JSON.stringify(key)}: unknown action ${action} (known: ${FAULT_ACTIONS.join(', ')})`,
      });
    else if (service === undefined && action === '*' && key !== '*')
      ctx.addIssue({ code: 'custom', path: [key], message: `key ${JSON.stringify(key)} is not valid` });
  }
});
export type FaultPlan = z.infer<typeof faultPlanSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Parses CUTOVER_FAULTS; throws naming the problem, so a typo cannot silently disable a test's faults. */
export function parseFaultPlan(json: string | undefined, setting = 'CUTOVER_FAULTS'): FaultPlan {
  if (json === undefined || json.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (cause) {
    throw new ConfigurationError(`${setting} is not JSON: ${(cause as Error).message}`, { setting }, { cause });
  }
  return validateFaultPlan(raw, setting);
}

/** Validates a fault plan given as a value (a profile file's content, the spec's chaos section). */
export function validateFaultPlan(raw: unknown, setting = 'CUTOVER_FAULTS'): FaultPlan {
  const parsed = faultPlanSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigurationError(`${setting}: ${describeIssues(parsed.error)}`, { setting });
  return parsed.data;
}

/** Turns relative partition windows into absolute ones from `now`, so every function instance sees the same window. */
export function resolveFaultPlan(plan: FaultPlan, now: Date): FaultPlan {
  const out: Record<string, FaultSpec> = {};
  for (const [key, spec] of Object.entries(plan)) {
    const p = spec.partition;
    if (!p || p.from !== undefined || p.forSeconds === undefined) {
      out[key] = spec;
      continue;
    }
    const from = new Date(now.getTime() + (p.afterSeconds ?? 0) * 1000);
    const until = new Date(from.getTime() + p.forSeconds * 1000);
    out[key] = { ...spec, partition: { from: from.toISOString(), until: until.toISOString() } };
  }
  return out;
}

/** The spec for an action of a service: `<service>.<action>`, `<action>`, `<service>.*`, then `*`. */
export function faultSpecFor(plan: FaultPlan, action: string, service?: string): FaultSpec | undefined {
  return (service ? plan[`${service}.${action}`] : undefined) ?? plan[action] ?? (service ? plan[`${service}.*`] : undefined) ?? plan['*'];
}

// z for the 95th percentile of a standard normal.
const Z95 = 1.6448536269514722;

/** A standard normal draw from two uniform draws (Box-Muller); `random` must return values in [0, 1). */
function standardNormal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One latency in ms from a distribution, with the caller's random source; never negative, capped at MAX_LATENCY_MS. */
export function sampleLatency(latency: LatencySpec, random: () => number): number {
  let value: number;
  switch (latency.dist) {
    case 'fixed':
      value = latency.ms;
      break;
    case 'uniform':
      value = latency.min + (latency.max - latency.min) * random();
      break;
    case 'normal':
      value = latency.p50 + ((latency.p95 - latency.p50) / Z95) * standardNormal(random);
      break;
    case 'lognormal': {
      const sigma = Math.log(latency.p95 / latency.p50) / Z95;
      value = latency.p50 * Math.exp(sigma * standardNormal(random));
      break;
    }
  }
  return Math.min(MAX_LATENCY_MS, Math.max(0, Math.round(value)));
}

/** A token bucket on an injected clock (one per function instance: Lambda's instances each keep their own). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  public constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.last = nowMs;
  }

  /** Takes a token if there is one. */
  public take(nowMs: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.ratePerSecond);
    this.last = Math.max(this.last, nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** True when `now` is inside the (absolute) partition window. */
export function inPartition(partition: PartitionSpec, now: Date): boolean {
  if (partition.from === undefined || partition.until === undefined) return false;
  const t = now.getTime();
  return t >= Date.parse(partition.from) && t < Date.parse(partition.until);
}

/** An error with a given Step Functions error name. */
export class InjectedFault extends Error {
  public constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface FaultInjectorOptions {
  /** The service this injector runs in, for `<service>.<action>` keys. @default - only action and `*` keys apply */
  readonly service?: FaultService;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export class FaultInjector {
  private readonly counts = new Map<string, number>();
  private readonly buckets = new Map<FaultSpec, TokenBucket>();
  private readonly plan: FaultPlan;
  private readonly now: () => Date;
  private readonly service?: string;

  public constructor(
    plan: FaultPlan = {},
    private readonly random: () => number = () => 1,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    options: FaultInjectorOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.service = options.service;
    this.plan = resolveFaultPlan(plan, this.now());
  }

  public get enabled(): boolean {
    return Object.keys(this.plan).length > 0;
  }

  /** Call around the effect: `await faults.around('ProcessPayment', orderId, () => charge())`. */
  public async around<T>(action: string, orderId: string, effect: () => Promise<T>): Promise<T> {
    const spec = faultSpecFor(this.plan, action, this.service);
    if (!spec || (spec.orderIds && !spec.orderIds.includes(orderId))) return effect();
    const delay = spec.latency ? sampleLatency(spec.latency, this.random) : (spec.latencyMs ?? 0);
    if (delay > 0) await this.sleep(delay);
    const now = this.now();
    if (spec.partition && inPartition(spec.partition, now))
      throw new StepTransientError(`injected partition: ${action} is unreachable until ${spec.partition.until}`, {
        action,
        phase: 'before',
        fault: 'partition',
      });
    if (spec.throttle) {
      let bucket = this.buckets.get(spec);
      if (!bucket) this.buckets.set(spec, (bucket = new TokenBucket(spec.throttle.ratePerSecond, spec.throttle.burst, now.getTime())));
      if (!bucket.take(now.getTime()))
        throw new StepTransientError(`injected throttling: ${action} over ${spec.throttle.ratePerSecond}/s`, {
          action,
          phase: 'before',
          fault: 'throttle',
        });
    }
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
