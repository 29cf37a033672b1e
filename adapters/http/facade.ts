import { randomUUID } from 'node:crypto';
import type { Comparator } from '../../core/compare/comparator';
import { CutoverError } from '../../core/errors';
import { compareResponses } from '../../core/facade/compare';
import { planRequest, resolveSides, upstreamUrl, type FacadePlan } from '../../core/facade/decision';
import { normaliseHeaders, requestHeadersFor, responseHeadersFor, type HeaderMap } from '../../core/facade/headers';
import { bodyBytes } from '../../core/facade/policy';
import { facadeProblem, type FacadeFailure } from '../../core/facade/problem';
import type { RouteTable } from '../../core/facade/routes';
import type { RoutingTable } from '../../core/routing/entry';
import type { Side } from '../../core/routing/model';
import type { FacadeSection } from '../../core/spec/facade';
import { sendUpstream, UpstreamError, type UpstreamResponse } from './upstream';

/**
 * The façade's request pipeline (the I/O around core/facade): read the routing table (cached), plan,
 * proxy to the authoritative side, hand a shadow copy to `mirror` without waiting for it, return the
 * authoritative answer. `runShadow` is the other half: send the copy, compare, record the verdict.
 */
export interface FacadeRequest {
  readonly method: string;
  /** The path the client asked for (no stage prefix, no query). */
  readonly path: string;
  /** The query string exactly as the client sent it (order and encoding kept). */
  readonly rawQuery?: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly sourceIp?: string;
  readonly correlationId?: string;
}

export interface FacadeResponse {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly setCookies: readonly string[];
  /** base64 of the body bytes (binary-safe through API Gateway). */
  readonly bodyBase64: string;
  /** For logs and tests: what the façade did. */
  readonly served: {
    readonly side: Side;
    readonly route?: string;
    readonly capability?: string;
    readonly reason: string;
    readonly bucket: number | null;
    readonly shadow?: Side;
    readonly attempts: number;
    readonly upstreamMs: number;
  };
}

/** What a shadow needs: the request as sent upstream, and the authoritative answer to compare with. */
export interface ShadowJob {
  readonly capability: string;
  readonly route: string;
  readonly side: Side;
  readonly url: string;
  readonly method: string;
  readonly headers: HeaderMap;
  readonly bodyBase64?: string;
  readonly authoritative: { readonly side: Side; readonly status: number; readonly headers: HeaderMap; readonly bodyBase64: string };
  readonly correlationId: string;
}

export interface FacadeLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface FacadeSample {
  readonly capability: string;
  readonly side: Side;
  readonly failed: boolean;
  readonly latencyMs: number;
}

export interface FacadeDeps {
  readonly section: Pick<FacadeSection, 'timeoutMs' | 'retries' | 'maxRequestBytes' | 'maxResponseBytes'>;
  readonly routes: RouteTable;
  /** The routing table (a `RoutingCache` over the DynamoDB store in production). */
  readonly table: () => Promise<RoutingTable>;
  /** Base URL of a side for a capability (the monolith for `legacy`). */
  readonly urls: (side: Side, capability: string | undefined) => string | undefined;
  /** Start a shadow without waiting for it (an asynchronous Lambda invoke in production). Must not throw for the client's sake: failures are logged. */
  readonly mirror?: (job: ShadowJob) => Promise<void>;
  /** Per-request samples of the authoritative side of a routed capability (ErrorRate, LatencyMs). */
  readonly record?: (sample: FacadeSample) => void;
  readonly log?: FacadeLog;
  readonly fetch?: typeof fetch;
}

const SHADOW_HEADER = 'x-cutover-shadow';

function problemResponse(failure: FacadeFailure, plan: FacadePlan | undefined, correlationId: string, side: Side): FacadeResponse {
  const problem = facadeProblem(failure, plan?.match?.route.id, correlationId);
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'x-correlation-id': correlationId },
    setCookies: [],
    bodyBase64: Buffer.from(JSON.stringify(problem)).toString('base64'),
    served: {
      side,
      route: plan?.match?.route.id,
      capability: plan?.capability,
      reason: failure.kind,
      bucket: plan?.decision.bucket ?? null,
      attempts: 'attempts' in failure ? failure.attempts : 0,
      upstreamMs: 0,
    },
  };
}

export class HttpFacade {
  public constructor(private readonly deps: FacadeDeps) {}

  public async handle(req: FacadeRequest): Promise<FacadeResponse> {
    const incoming = normaliseHeaders(req.headers);
    const correlationId = req.correlationId ?? incoming['x-correlation-id'] ?? randomUUID();
    const bytes = bodyBytes(req.body, req.isBase64Encoded === true);
    if (bytes > this.deps.section.maxRequestBytes)
      return problemResponse(
        { kind: 'request-too-large', bytes, limit: this.deps.section.maxRequestBytes },
        undefined,
        correlationId,
        'legacy',
      );

    let table: RoutingTable;
    try {
      table = await this.deps.table();
    } catch (err) {
      // Without the table the façade cannot know whether a rollback happened: it fails closed for
      // routed requests rather than guess a side.
      this.deps.log?.error('routing table unreadable', { error: err instanceof Error ? err.message : String(err) });
      const routed = this.deps.routes.match(req.method, req.path)?.route.capability !== undefined;
      if (routed)
        return problemResponse(
          { kind: 'routing-unavailable', message: err instanceof Error ? err.message : String(err) },
          undefined,
          correlationId,
          'legacy',
        );
      table = new Map();
    }
    const plan = planRequest(this.deps.routes, table, req.method, req.path, incoming);
    const sides = resolveSides(plan, this.deps.urls);
    if (sides.fallback)
      this.deps.log?.warn('no URL for the planned side in this deployment: serving the monolith', {
        route: plan.match?.route.id,
        capability: plan.capability,
        planned: plan.decision.authoritative,
      });

    const headers = { ...requestHeadersFor(incoming, { sourceIp: req.sourceIp, host: incoming.host }), 'x-correlation-id': correlationId };
    const body = req.body === undefined || req.body === '' ? undefined : Buffer.from(req.body, req.isBase64Encoded ? 'base64' : 'utf8');
    const url = upstreamUrl(this.deps.urls(sides.authoritative, plan.capability) as string, req.path, req.rawQuery);

    let res: UpstreamResponse;
    try {
      res = await sendUpstream({ method: req.method, url, headers, body }, { ...this.deps.section, fetch: this.deps.fetch });
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      if (plan.capability !== undefined)
        this.deps.record?.({
          capability: plan.capability,
          side: sides.authoritative,
          failed: true,
          latencyMs: this.deps.section.timeoutMs,
        });
      this.deps.log?.warn('upstream failed', {
        side: sides.authoritative,
        url,
        kind: err.kind,
        attempts: err.attempts,
        message: err.message,
        correlationId,
      });
      const failure: FacadeFailure =
        err.kind === 'timeout'
          ? { kind: 'upstream-timeout', side: sides.authoritative, timeoutMs: this.deps.section.timeoutMs, attempts: err.attempts }
          : err.kind === 'too-large'
            ? { kind: 'response-too-large', side: sides.authoritative, limit: this.deps.section.maxResponseBytes }
            : { kind: 'upstream-unreachable', side: sides.authoritative, attempts: err.attempts, message: err.message };
      return problemResponse(failure, plan, correlationId, sides.authoritative);
    }
    if (plan.capability !== undefined)
      this.deps.record?.({ capability: plan.capability, side: sides.authoritative, failed: res.status >= 500, latencyMs: res.latencyMs });

    const bodyBase64 = res.body.toString('base64');
    const responseHeaders = responseHeadersFor(res.headers);
    if (sides.shadow !== undefined && plan.capability !== undefined && this.deps.mirror !== undefined) {
      const shadowBase = this.deps.urls(sides.shadow, plan.capability) as string;
      const job: ShadowJob = {
        capability: plan.capability,
        route: plan.match?.route.id ?? `${req.method} ${req.path}`,
        side: sides.shadow,
        url: upstreamUrl(shadowBase, req.path, req.rawQuery),
        method: req.method,
        headers: { ...headers, [SHADOW_HEADER]: '1' },
        bodyBase64: body?.toString('base64'),
        authoritative: { side: sides.authoritative, status: res.status, headers: responseHeaders, bodyBase64 },
        correlationId,
      };
      // Not awaited: the shadow must never slow down or fail the customer's request.
      this.deps.mirror(job).catch((err: unknown) =>
        this.deps.log?.error('shadow not started', {
          route: job.route,
          correlationId,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    }
    return {
      status: res.status,
      headers: { ...responseHeaders, 'x-correlation-id': correlationId },
      setCookies: res.setCookies,
      bodyBase64,
      served: {
        side: sides.authoritative,
        route: plan.match?.route.id,
        capability: plan.capability,
        reason: plan.decision.reason,
        bucket: plan.decision.bucket,
        shadow: sides.shadow,
        attempts: res.attempts,
        upstreamMs: res.latencyMs,
      },
    };
  }
}

export interface ShadowVerdict {
  readonly capability: string;
  readonly route: string;
  readonly status: 'match' | 'mismatch' | 'shadow-failed';
  readonly diffs: ReadonlyArray<{ readonly path: string; readonly kind: string; readonly expected?: unknown; readonly actual?: unknown }>;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface ShadowDeps {
  readonly section: Pick<FacadeSection, 'timeoutMs' | 'maxResponseBytes'>;
  /** The spec's compare rules for a capability (default + capability set). */
  readonly comparatorFor: (capability: string) => Comparator;
  /** Records the verdict: MismatchRate (and the shadow side's ErrorRate/LatencyMs) in production. */
  readonly record: (verdict: ShadowVerdict, side: Side) => Promise<void>;
  readonly log?: FacadeLog;
  readonly fetch?: typeof fetch;
}

/**
 * Sends a shadow copy (never retried: a shadow is a sample, and a retried write would be two samples),
 * compares it with the authoritative answer, records the verdict. A shadow that fails is a verdict too
 * (`shadow-failed`), counted against the candidate's error rate, never a mismatch.
 */
export async function runShadow(job: ShadowJob, deps: ShadowDeps): Promise<ShadowVerdict> {
  let verdict: ShadowVerdict;
  try {
    const res = await sendUpstream(
      { method: job.method, url: job.url, headers: job.headers, body: job.bodyBase64 ? Buffer.from(job.bodyBase64, 'base64') : undefined },
      { timeoutMs: deps.section.timeoutMs, retries: 0, maxResponseBytes: deps.section.maxResponseBytes, fetch: deps.fetch },
    );
    const authoritative = {
      status: job.authoritative.status,
      headers: job.authoritative.headers,
      body: Buffer.from(job.authoritative.bodyBase64, 'base64').toString('utf8'),
    };
    const shadow = { status: res.status, headers: res.headers, body: res.body.toString('utf8') };
    // The rules read "expected = the monolith's, actual = the new service's", whichever side is shadowing.
    const cmp =
      job.side === 'candidate'
        ? compareResponses(deps.comparatorFor(job.capability), authoritative, shadow)
        : compareResponses(deps.comparatorFor(job.capability), shadow, authoritative);
    verdict = {
      capability: job.capability,
      route: job.route,
      status: cmp.equal ? 'match' : 'mismatch',
      diffs: cmp.diffs.slice(0, 20),
      latencyMs: res.latencyMs,
    };
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    verdict = {
      capability: job.capability,
      route: job.route,
      status: 'shadow-failed',
      diffs: [],
      latencyMs: deps.section.timeoutMs,
      error: err.message,
    };
  }
  if (verdict.status === 'mismatch')
    deps.log?.warn('shadow mismatch', { ...verdict, correlationId: job.correlationId, shadowSide: job.side });
  else
    deps.log?.info(`shadow ${verdict.status}`, {
      capability: verdict.capability,
      route: verdict.route,
      correlationId: job.correlationId,
      error: verdict.error,
    });
  await deps.record(verdict, job.side);
  return verdict;
}

/** A shadow job that does not fit an asynchronous invoke (256 KB) is skipped, and said so. */
export class ShadowTooLargeError extends CutoverError {}
