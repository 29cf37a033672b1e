/**
 * Where the e2e façade's upstreams listen. The façade stack is deployed (global setup) with these URLs,
 * and the test starts the reference monolith and candidate on these ports: the deployed Lambda (a node
 * process on this machine under MiniStack) reaches them on 127.0.0.1. Override with the env variables.
 */
export const FACADE_E2E_MONOLITH_PORT = Number(process.env.CUTOVER_E2E_FACADE_MONOLITH_PORT ?? 18473);
export const FACADE_E2E_CANDIDATE_PORT = Number(process.env.CUTOVER_E2E_FACADE_CANDIDATE_PORT ?? 18474);

/** The env the CDK app reads to build the façade stack (bin/app.ts). */
export function facadeDeployEnv(): Record<string, string> {
  return {
    CUTOVER_FACADE_MONOLITH_URL: `http://127.0.0.1:${FACADE_E2E_MONOLITH_PORT}`,
    CUTOVER_FACADE_CANDIDATE_URLS: `customers=http://127.0.0.1:${FACADE_E2E_CANDIDATE_PORT}`,
  };
}

/** The façade's invoke URL on MiniStack: /_aws/execute-api/<apiId>/<stage>. */
export function facadeBase(endpoint: string, apiId: string, stage: string): string {
  return `${endpoint}/_aws/execute-api/${apiId}/${stage}`;
}
