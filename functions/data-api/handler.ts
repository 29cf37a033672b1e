import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { handle } from 'hono/aws-lambda';
import { DataApiEngine } from '../../core/api/engine';
import { apiModelsOf } from '../../core/api/model';
import { generateOpenApi, type ApiAuth } from '../../core/api/openapi';
import { DynamoDbDataStore } from '../../adapters/dynamodb/data-api-store';
import { readCursorSecret } from '../../adapters/aws/cursor-secret';
import { documentClient } from '../../adapters/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import { createDataApiApp } from './app';

/*
 * One generated REST API (one service) behind API Gateway (REST, Lambda proxy). Env: DATA_API_SERVICE,
 * DATA_API_TABLES (JSON: spec table -> deployed name), CURSOR_SECRET_ARN (the cursor HMAC key in
 * Secrets Manager), DATA_API_AUTH (for the served document).
 */
const serviceName = requireEnv('DATA_API_SERVICE');
const service = apiModelsOf(loadSpec()).find((s) => s.service === serviceName);
if (!service) throw new Error(`DATA_API_SERVICE ${serviceName} is not a service of the spec's api section`);
const tables = JSON.parse(requireEnv('DATA_API_TABLES')) as Record<string, string>;
const logger = new Logger(`data-api-${serviceName}`);
const metricsNamespace = optionalEnv('DATA_API_METRICS_NAMESPACE', 'Cutover/DataApi');

const secretArn = requireEnv('CURSOR_SECRET_ARN');
let secret = readCursorSecret(secretArn);
// Read at cold start, awaited by the first request; a failure surfaces there (and the next request reads
// again), not as an unhandled rejection.
secret.catch(() => undefined);
const openapi = generateOpenApi(service, { auth: optionalEnv('DATA_API_AUTH', 'jwt') as ApiAuth });

let appHandler: ReturnType<typeof handle> | undefined;

export const handler: ReturnType<typeof handle> = async (event, context) => {
  if (!appHandler) {
    let cursorSecret: string;
    try {
      cursorSecret = await secret;
    } catch (error) {
      secret = readCursorSecret(secretArn);
      secret.catch(() => undefined);
      throw error;
    }
    const engine = new DataApiEngine({ store: new DynamoDbDataStore(documentClient(), tables), cursorSecret });
    const app = createDataApiApp({
      service,
      engine,
      openapi,
      record: (s) => {
        // Powertools metrics (EMF): one series per route, so a 5xx spike names the route.
        const m = new Metrics({
          namespace: metricsNamespace,
          serviceName: `data-api-${serviceName}`,
          defaultDimensions: { route: s.route },
        });
        m.addMetric('Requests', MetricUnit.Count, 1);
        m.addMetric('Latency', MetricUnit.Milliseconds, s.latencyMs);
        m.addMetric('4xx', MetricUnit.Count, s.status >= 400 && s.status < 500 ? 1 : 0);
        m.addMetric('5xx', MetricUnit.Count, s.status >= 500 ? 1 : 0);
        m.publishStoredMetrics();
        logger.info('request', { route: s.route, status: s.status, latencyMs: Math.round(s.latencyMs), correlationId: s.correlationId });
      },
      onError: (error, correlationId) => logger.error('request failed', { error, correlationId }),
    });
    appHandler = handle(app);
  }
  return appHandler(event, context);
};
