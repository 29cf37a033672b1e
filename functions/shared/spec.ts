import { parseSpec, type Spec } from '../../core/spec';
import { ConfigurationError } from '../../core/errors';

/*
 * The migration spec reaches a handler as JSON. At deploy time the construct bundles it in through an
 * esbuild `define` of process.env.CUTOVER_SPEC_JSON (no 4 KB environment limit, no file to read); tests
 * set the variable. It is parsed and validated once per cold start.
 */
let cached: Spec | undefined;

export function loadSpec(): Spec {
  if (cached) return cached;
  const raw = process.env.CUTOVER_SPEC_JSON;
  if (!raw)
    throw new ConfigurationError('CUTOVER_SPEC_JSON is not set: the spec is bundled in by the CDK construct, or set by the test', {
      setting: 'CUTOVER_SPEC_JSON',
    });
  cached = parseSpec(JSON.parse(raw));
  return cached;
}

/** For tests: forget the cached spec so the next loadSpec() reads the environment again. */
export function resetSpecCache(): void {
  cached = undefined;
}
