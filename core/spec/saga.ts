import { z } from 'zod';
import { BUSINESS_ERRORS } from '../saga/errors';
import { ROUTABLE_STEPS, SAGA_STEPS, STEP_OWNERS } from '../saga/steps';

/*
 * The `saga` section of the migration spec: who owns each step of the order saga (the monolith, reached
 * through the bridge, or the new service), how the monolith is asked and how it answers, and the waits,
 * timeouts and retries. Cross-section rules (commands and replies exist in the bridge catalog and have
 * translations) live in core/saga/spec-check.ts.
 */

// Same rules as in schema.ts (which imports this file, so they are restated rather than imported).
const serviceTypeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'service event types are dotted lower case, e.g. order.created');
const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a top-level field name of the command payload');
/**
 * Where a command field's value comes from: a dot path into the saga's context. `order.*` is the order the
 * saga runs for (the payload of the order event), `now` the time the command is sent, `reason` the
 * cancellation reason (compensations), `failure.*` the error that stopped the saga, `correlationId`.
 */
const contextPath = z
  .string()
  .regex(
    /^(order(\.[A-Za-z_][A-Za-z0-9_]*)*|now|reason|correlationId|failure\.(Error|Cause|step))$/,
    'a context path: order.<field...>, now, reason, correlationId or failure.Error|Cause|step',
  );
const businessError = z.enum(BUSINESS_ERRORS);
const seconds = (max: number) => z.number().int().min(1).max(max);

/** One exchange with the monolith: the command the saga sends and the replies that settle it. */
export const monolithExchangeSchema = z
  .object({
    /** Service event the saga puts on the services bus; a bridge translation turns it into the legacy command. */
    command: serviceTypeName,
    /** The command's payload, field by field, from the saga's context. */
    data: z.record(fieldName, contextPath),
    /** Replies (service events the bridge translated from the monolith's) that complete the action. */
    success: z.array(serviceTypeName).min(1, 'name at least one reply that completes the action'),
    /** Replies that mean "no", each with the business error the saga catches. */
    failure: z.record(serviceTypeName, businessError).default({}),
    /** How long to wait for a reply before sending the command again (the monolith de-duplicates it). */
    replyTimeoutSeconds: seconds(7 * 86_400).default(300),
    /** Sends of the command before the action counts as failed. */
    maxAttempts: z.number().int().min(1).max(10).default(3),
  })
  .strict();

/**
 * How long a step is expected to take, start to finish (the saga's step-started to step-succeeded), in
 * milliseconds. `cutover map` adds the profiles along a critical path into its latency budget and sets the
 * measured p50/p95 beside them (`--observed`). Optional: a path with an undeclared step says so.
 */
export const latencyProfileSchema = z
  .object({
    p50Ms: z.number().int().min(0),
    p95Ms: z.number().int().min(0),
  })
  .strict()
  .refine((l) => l.p95Ms >= l.p50Ms, { path: ['p95Ms'], message: 'must be at least p50Ms' });

/**
 * How a routed step asks the routing table (owner `routed`): per order, the capability's entry decides which
 * side performs the step, the decision is stamped on the execution, and the compensation follows it.
 */
export const stepRouteSchema = z
  .object({
    /** The routing capability whose entry decides. @default - the step's service (payment for ProcessPayment) */
    capability: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, 'a capability of the routing section, e.g. payment')
      .optional(),
    /**
     * Dot path into the order of the sticky key; its last name must be the capability's stickyKey, so the
     * saga and the router put one order in the same bucket. @default orderId
     */
    keyField: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a dot path into the order, e.g. orderId or customer.id')
      .default('orderId'),
  })
  .strict();

export const sagaStepConfigSchema = z
  .object({
    owner: z.enum(STEP_OWNERS),
    /** Only with owner `routed`: which capability decides and on which key. @default - the step's service, keyed on orderId */
    route: stepRouteSchema.optional(),
    description: z.string().optional(),
    latency: latencyProfileSchema.optional(),
    /**
     * How the monolith performs the step and its compensation. Required when `owner` is `monolith`; keep
     * it when the step moves to the service, so switching back is a one-word change.
     */
    monolith: z.object({ forward: monolithExchangeSchema, compensation: monolithExchangeSchema }).strict().optional(),
  })
  .strict();

const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(0).max(20),
    intervalSeconds: seconds(3600),
    backoffRate: z.number().min(1).max(10),
    maxDelaySeconds: seconds(86_400),
  })
  .strict();

export const sagaSectionSchema = z
  .object({
    /** The state machine's name is `<spec name>-<name>`. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, 'lower case letters, digits and -, 2 to 31 characters')
      .default('order-saga'),
    /** The service event whose payload is the saga's order (its latest version is the saga's input). */
    orderEvent: serviceTypeName.default('order.created'),
    /** Start a saga for every `orderEvent` on the services bus. Off: sagas start from the CLI only. */
    autoStart: z.boolean().default(true),
    steps: z
      .object(
        Object.fromEntries(SAGA_STEPS.map((s) => [s, sagaStepConfigSchema])) as Record<
          (typeof SAGA_STEPS)[number],
          typeof sagaStepConfigSchema
        >,
      )
      .strict(),
    /** Limit for one service call (a Lambda step), sized for an emulator's cold starts. */
    stepTimeoutSeconds: seconds(900).default(60),
    retry: z
      .object({
        /** Transient failures of a forward step (throttling, timeouts): backoff with full jitter. */
        step: retrySchema.default({ maxAttempts: 4, intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 20 }),
        /** Any failure of a compensation, which must not give up easily. */
        compensation: retrySchema.default({ maxAttempts: 6, intervalSeconds: 2, backoffRate: 2, maxDelaySeconds: 60 }),
      })
      .strict()
      .prefault({}),
    /** Inventory reservations expire: a payment confirmed later must not sell stock that is gone. */
    reservation: z
      .object({ ttlSeconds: seconds(7 * 86_400).default(900) })
      .strict()
      .prefault({}),
    /** A payment held for fraud review is re-checked after each wait; waiting costs nothing. */
    fraudReview: z
      .object({ waitSeconds: seconds(86_400).default(60), maxChecks: z.number().int().min(1).max(1000).default(30) })
      .strict()
      .prefault({}),
    /** ScheduleShipping waits for the carrier's confirmation with a task token. */
    shipping: z
      .object({
        /** Give up (and compensate) when the carrier has not confirmed by then. */
        timeoutSeconds: seconds(365 * 86_400).default(3 * 86_400),
        /** The carrier must report progress at least this often (SendTaskHeartbeat). Absent: no heartbeat. */
        heartbeatSeconds: seconds(365 * 86_400).optional(),
        /** Service events that confirm the shipment. */
        confirmedBy: z.array(serviceTypeName).min(1).default(['shipment.dispatched']),
        /** Service events that refuse it, with the business error. */
        rejectedBy: z.record(serviceTypeName, businessError).default({}),
      })
      .strict()
      .prefault({}),
    /**
     * Deploy the reference monolith (a Lambda on the legacy bus that answers the saga's commands) for demos
     * and tests. Never in front of a real monolith.
     */
    referenceMonolith: z.boolean().default(false),
  })
  .strict()
  .superRefine((saga, ctx) => {
    for (const step of SAGA_STEPS) {
      const cfg = saga.steps[step];
      if ((cfg.owner === 'monolith' || cfg.owner === 'routed') && !cfg.monolith) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', step, 'monolith'],
          message: `owner is "${cfg.owner}", so say how the monolith is asked: a forward and a compensation command with their replies`,
        });
      }
      if (cfg.owner === 'routed' && !(ROUTABLE_STEPS as readonly string[]).includes(step)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', step, 'owner'],
          message: `"routed" is not supported for ${step}; routable steps: ${ROUTABLE_STEPS.join(', ')}`,
        });
      }
      if (cfg.route !== undefined && cfg.owner !== 'routed') {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', step, 'route'],
          message: `only a step with owner "routed" asks the routing table; owner is "${cfg.owner}"`,
        });
      }
    }
    if (saga.shipping.heartbeatSeconds !== undefined && saga.shipping.heartbeatSeconds >= saga.shipping.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['shipping', 'heartbeatSeconds'],
        message: `must be shorter than shipping.timeoutSeconds (${saga.shipping.timeoutSeconds}), got ${saga.shipping.heartbeatSeconds}`,
      });
    }
  });

export type SagaSection = z.infer<typeof sagaSectionSchema>;
export type SagaStepConfig = z.infer<typeof sagaStepConfigSchema>;
export type MonolithExchange = z.infer<typeof monolithExchangeSchema>;
export type StepRoute = z.infer<typeof stepRouteSchema>;
export type LatencyProfile = z.infer<typeof latencyProfileSchema>;
