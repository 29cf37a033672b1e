import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ApiServiceModel } from './model';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { entitySchemas, problemSchema } from './schemas';

/** How the deployed API authenticates callers; shown in the document as its security scheme. */
export type ApiAuth = 'iam' | 'jwt' | 'none';

export interface OpenApiOptions {
  /** @default 'jwt' (the reference deploys a Cognito user pool authorizer) */
  readonly auth?: ApiAuth;
  /** Server URL to list. @default - none */
  readonly serverUrl?: string;
  readonly version?: string;
}

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } });

/** The OpenAPI 3.1 document of one service's generated API, rendered from the same zod schemas the handler validates with. */
export function generateOpenApi(service: ApiServiceModel, options: OpenApiOptions = {}): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const auth = options.auth ?? 'jwt';
  const security: Record<string, string[]>[] = [];
  if (auth === 'jwt') {
    registry.registerComponent('securitySchemes', 'jwt', {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A Cognito (or other OIDC) ID token',
    });
    security.push({ jwt: [] });
  } else if (auth === 'iam') {
    registry.registerComponent('securitySchemes', 'sigv4', {
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      description: 'AWS Signature Version 4 (IAM)',
    });
    security.push({ sigv4: [] });
  }
  const etag = { ETag: { description: 'The item version; send it back as If-Match to write', schema: { type: 'string' as const } } };
  const correlation = z.object({
    'x-correlation-id': z.string().optional().meta({ description: 'Echoed back and logged; generated when absent' }),
  });

  for (const e of service.entities) {
    for (const version of [1, ...e.versions.map((v) => v.version)]) {
      const s = entitySchemas(e, version);
      const collection = `/v${version}/${e.path}`;
      const itemPath = `${collection}${e.params.map((p) => `/{${p}}`).join('')}`;
      const tag = e.entity;
      registry.registerPath({
        method: 'get',
        path: collection,
        operationId: `list${pascalCase(e.entity)}V${version}`,
        tags: [tag],
        summary: `List ${e.entity} (cursor pagination; filters on declared keys only)`,
        security,
        request: { query: s.listQuery, headers: correlation },
        responses: {
          200: { description: 'A page', content: { 'application/json': { schema: s.page } } },
          400: problem('A bad filter, limit, fields or cursor'),
        },
      });
      registry.registerPath({
        method: 'get',
        path: itemPath,
        operationId: `get${pascalCase(e.entity)}V${version}`,
        tags: [tag],
        summary: `Get one ${e.entity}`,
        security,
        request: { params: s.params, query: z.object({ fields: z.string().optional() }), headers: correlation },
        responses: {
          200: { description: 'The item', headers: etag, content: { 'application/json': { schema: s.item } } },
          400: problem('A bad key or fields'),
          404: problem('No such item'),
        },
      });
      if (!e.writes) continue;
      registry.registerPath({
        method: 'put',
        path: itemPath,
        operationId: `put${pascalCase(e.entity)}V${version}`,
        tags: [tag],
        summary: `Replace (If-Match) or create (If-None-Match: *) one ${e.entity}`,
        security,
        request: {
          params: s.params,
          headers: z.object({ 'if-match': z.string().optional(), 'if-none-match': z.literal('*').optional() }),
          body: { required: true, content: { 'application/json': { schema: s.put } } },
        },
        responses: {
          200: { description: 'Replaced', headers: etag, content: { 'application/json': { schema: s.item } } },
          201: { description: 'Created', headers: etag, content: { 'application/json': { schema: s.item } } },
          400: problem('The body does not match the schema'),
          412: problem('The item changed since it was read (ETag mismatch) or already exists'),
          428: problem('Neither If-Match nor If-None-Match was sent'),
        },
      });
      registry.registerPath({
        method: 'patch',
        path: itemPath,
        operationId: `patch${pascalCase(e.entity)}V${version}`,
        tags: [tag],
        summary: `Change attributes of one ${e.entity} (If-Match required)`,
        security,
        request: {
          params: s.params,
          headers: z.object({ 'if-match': z.string() }),
          body: {
            required: true,
            content: { 'application/merge-patch+json': { schema: s.patch }, 'application/json': { schema: s.patch } },
          },
        },
        responses: {
          200: { description: 'Changed', headers: etag, content: { 'application/json': { schema: s.item } } },
          400: problem('The body does not match the schema'),
          404: problem('No such item'),
          412: problem('The item changed since it was read (ETag mismatch)'),
          428: problem('If-Match was not sent'),
        },
      });
    }
  }
  registry.registerPath({
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness (no authorization)',
    responses: {
      200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok'), service: z.string() }) } } },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: `${service.service} API`,
      version: options.version ?? '1.0.0',
      description: service.description ?? `Generated by cutover from the migration spec: the ${service.service} service's data.`,
    },
    servers: options.serverUrl ? [{ url: options.serverUrl }] : undefined,
  });
}

function pascalCase(s: string): string {
  return s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
