/**
 * The emulator harness shared by the e2e tier and the demo: start (or reuse) MiniStack, deploy the CDK
 * app to it once, hand tests the endpoint and stack outputs, and poll for asynchronous results.
 *
 * The shell scripts in localstack/ do the work (so `npm run local` and people without Node-side tooling
 * get the same behaviour); this module wraps them with types and clear errors.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CutoverError } from '../../core/errors';
import type { OutputKey } from '../../core/contract';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const REGION = 'us-east-1';
/** The account id MiniStack and LocalStack report for any credentials. */
export const EMULATOR_ACCOUNT = '000000000000';
/** Where the global setup records the run for the test files (`loadE2eContext`). */
export const DEFAULT_CONTEXT_FILE = path.join(REPO_ROOT, '.cutover', 'e2e.json');
/** Set by the global setup to this run's own context file, so concurrent runs in one checkout stay apart. */
export const CONTEXT_FILE_ENV = 'CUTOVER_E2E_CONTEXT';

/** The emulator could not be started, reached, reset or deployed to. */
export class EmulatorError extends CutoverError {}

/** `waitFor` ran out of time; the message says what it waited for and what it saw last. */
export class WaitTimeoutError extends CutoverError {}

/** A running emulator. `startedByUs` is false when `CUTOVER_ENDPOINT` pointed at one already running. */
export interface Emulator {
  readonly endpoint: string;
  readonly port: number;
  readonly startedByUs: boolean;
}

/** Stack name -> output key -> value, as `cdk deploy --outputs-file` writes them. */
export type StackOutputs = Record<string, Record<string, string>>;

/** What the global setup hands to the test files. */
export interface E2eContext {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly startedByUs: boolean;
  readonly outputs: StackOutputs;
  readonly deployedAt: string;
  readonly deploySeconds: number;
}

export interface DeployOptions {
  /** Stacks to deploy. @default - every stack of the app (`--all`) */
  readonly stacks?: readonly string[];
  /** Directory holding the cdk.json of the app. @default - the repository root */
  readonly appDir?: string;
  /** Where cdk writes the outputs. @default - .cutover/outputs-<port>.json */
  readonly outputsFile?: string;
  /** Give up after this long. @default 900_000 (15 min) */
  readonly timeoutMs?: number;
}

export interface WaitForOptions {
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** @default 500 */
  readonly intervalMs?: number;
  /** What is awaited, in words: it names the failure ("the order saga to succeed"). */
  readonly what: string;
}

/** The environment that points the AWS SDK, AWS CLI and CDK CLI at the emulator (mirrors localstack/env.sh). */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    CUTOVER_ENDPOINT: endpoint,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CDK_DEFAULT_ACCOUNT: EMULATOR_ACCOUNT,
    CDK_DEFAULT_REGION: REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Constructor config for any SDK v3 client: `new DynamoDBClient(sdkConfig(ctx.endpoint))`. */
export function sdkConfig(endpoint: string): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
}

/** Health and reset paths: MiniStack's, then LocalStack's (for CUTOVER_ENDPOINT pointing at LocalStack). */
const HEALTH_PATHS = ['/_ministack/health', '/_localstack/health'];
const RESET_PATHS = ['/_ministack/reset', '/_localstack/state/reset'];

/** True when the emulator at `endpoint` (MiniStack or LocalStack) answers its health check. */
export async function isHealthy(endpoint: string, timeoutMs = 2_000): Promise<boolean> {
  for (const healthPath of HEALTH_PATHS) {
    try {
      const response = await fetch(new URL(healthPath, endpoint), { signal: AbortSignal.timeout(timeoutMs) });
      if (response.ok) return true;
    } catch {
      // not this emulator, or not up
    }
  }
  return false;
}

/**
 * Start MiniStack through localstack/start.sh, or reuse the one at `CUTOVER_ENDPOINT` when that is set
 * (then it is never stopped by us). The script picks 4566 if free, else a free port.
 */
export async function startEmulator(options: { port?: number; timeoutMs?: number } = {}): Promise<Emulator> {
  const given = process.env.CUTOVER_ENDPOINT;
  if (given) {
    if (!(await isHealthy(given))) {
      throw new EmulatorError(
        `CUTOVER_ENDPOINT=${given} answers neither /_ministack/health nor /_localstack/health; start it or unset the variable`,
        {
          endpoint: given,
        },
      );
    }
    return { endpoint: given, port: portOf(given), startedByUs: false };
  }
  const args = [path.join(REPO_ROOT, 'localstack', 'start.sh')];
  if (options.port !== undefined) args.push('--port', String(options.port));
  // The first run builds the Python venv (pip install), hence the generous bound.
  const result = await run('bash', args, { timeoutMs: options.timeoutMs ?? 300_000, what: 'localstack/start.sh' });
  const endpoint = lastLine(result.stdout);
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
    throw new EmulatorError(`localstack/start.sh printed no endpoint URL as its last line (got '${endpoint}')`, {
      stdout: result.stdout,
      stderr: tail(result.stderr),
    });
  }
  return { endpoint, port: portOf(endpoint), startedByUs: true };
}

/** Stop the emulator, but only if this process started it. */
export async function stopEmulator(emulator: Emulator): Promise<void> {
  if (!emulator.startedByUs) return;
  await run('bash', [path.join(REPO_ROOT, 'localstack', 'stop.sh'), '--port', String(emulator.port)], {
    timeoutMs: 30_000,
    what: 'localstack/stop.sh',
  });
}

/**
 * Wipe ALL emulator state: tables, buses, state machines, and also the deployed stacks and the CDK
 * bootstrap. Only useful before a fresh deploy; tests sharing one deployment isolate by unique ids instead.
 */
export async function resetEmulator(endpoint: string): Promise<void> {
  const answers: string[] = [];
  for (const resetPath of RESET_PATHS) {
    let response: Response;
    try {
      response = await fetch(new URL(resetPath, endpoint), { method: 'POST', signal: AbortSignal.timeout(30_000) });
    } catch (cause) {
      throw new EmulatorError(`could not reach ${endpoint} to reset it`, { endpoint }, { cause });
    }
    if (response.ok) return;
    answers.push(`${resetPath}: HTTP ${response.status}`);
  }
  throw new EmulatorError(`reset of ${endpoint} failed (${answers.join(', ')})`, { endpoint, answers });
}

/**
 * Bootstrap (when needed) and deploy the CDK app to `endpoint` through localstack/deploy.sh; returns the
 * parsed stack outputs. The cloud assembly goes to cdk.e2e-<port>.out so concurrent runs do not collide.
 */
export async function deploy(endpoint: string, options: DeployOptions = {}): Promise<StackOutputs> {
  const port = portOf(endpoint);
  const outputsFile = options.outputsFile ?? path.join(REPO_ROOT, '.cutover', `outputs-${port}.json`);
  mkdirSync(path.dirname(outputsFile), { recursive: true });
  const env: Record<string, string> = {
    ...awsEnv(endpoint),
    CUTOVER_OUTPUTS_FILE: outputsFile,
    CDK_OUTDIR: `cdk.e2e-${port}.out`,
  };
  const appDir = options.appDir ?? process.env.CUTOVER_CDK_APP_DIR ?? REPO_ROOT;
  env.CUTOVER_CDK_APP_DIR = appDir;
  const script = path.join(REPO_ROOT, 'localstack', 'deploy.sh');
  await run('bash', [script, ...(options.stacks ?? [])], {
    env,
    timeoutMs: options.timeoutMs ?? 900_000,
    what: `cdk deploy to ${endpoint}`,
    logFile: path.join(REPO_ROOT, '.cutover', `deploy-${port}.log`),
  });
  if (!existsSync(outputsFile)) {
    throw new EmulatorError(`cdk deploy finished but wrote no outputs file at ${outputsFile}`, { outputsFile });
  }
  const outputs = parseOutputs(readFileSync(outputsFile, 'utf8'), outputsFile);
  // cdk leaves stacks without outputs out of the file; list every deployed stack so a test can name them.
  const deployed = stacksInAssembly(path.resolve(appDir, env.CDK_OUTDIR), options.stacks);
  for (const stack of deployed) outputs[stack] ??= {};
  return outputs;
}

/**
 * Names of the CloudFormation stacks in a cloud assembly (its manifest.json), optionally only those
 * selected by name. Missing manifest: none.
 */
export function stacksInAssembly(outdir: string, only?: readonly string[]): string[] {
  const manifestFile = path.join(outdir, 'manifest.json');
  if (!existsSync(manifestFile)) return [];
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type?: string; displayName?: string; properties?: { stackName?: string } }>;
  };
  const names = Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id, artifact]) => ({ id, name: artifact.properties?.stackName ?? id, display: artifact.displayName ?? id }));
  const selected = only && only.length > 0 ? names.filter((n) => only.some((o) => [n.id, n.name, n.display].includes(o))) : names;
  return selected.map((n) => n.name);
}

/** Parse and shape-check a `--outputs-file` document. */
export function parseOutputs(text: string, source = 'outputs'): StackOutputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new EmulatorError(`${source} is not JSON`, { source }, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EmulatorError(`${source} must be an object of stacks, got ${JSON.stringify(parsed)}`, { source });
  }
  const outputs: StackOutputs = {};
  for (const [stack, values] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw new EmulatorError(`${source}: stack ${stack} has no output object`, { source, stack });
    }
    outputs[stack] = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
  }
  return outputs;
}

/** Write the run's context where `loadE2eContext` finds it. Returns the file written. */
export function writeE2eContext(context: E2eContext, file = DEFAULT_CONTEXT_FILE): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(context, null, 2)}\n`);
  return file;
}

/** The context the global setup wrote (this run's file when `CUTOVER_E2E_CONTEXT` is set). */
export function loadE2eContext(file = process.env[CONTEXT_FILE_ENV] ?? DEFAULT_CONTEXT_FILE): E2eContext {
  if (!existsSync(file)) {
    throw new EmulatorError(`no e2e context at ${file}: run the e2e tier through jest (npm run e2e) so its global setup deploys first`, {
      file,
    });
  }
  const context = JSON.parse(readFileSync(file, 'utf8')) as E2eContext;
  if (typeof context.endpoint !== 'string' || typeof context.outputs !== 'object' || context.outputs === null) {
    throw new EmulatorError(`e2e context ${file} lacks endpoint or outputs`, { file });
  }
  return context;
}

/**
 * One output value by key. With `stack` it reads that stack; without, the key must be unique across
 * stacks. Throws naming the key and the outputs that do exist.
 */
export function stackOutput(context: Pick<E2eContext, 'outputs'>, key: OutputKey, stack?: string): string {
  const stacks = stack ? [stack] : Object.keys(context.outputs);
  const hits = stacks.flatMap((name) => {
    const value = context.outputs[name]?.[key];
    return value === undefined ? [] : [{ name, value }];
  });
  if (hits.length === 1) return hits[0].value;
  const known = Object.entries(context.outputs).map(([name, values]) => `${name}: ${Object.keys(values).join(', ')}`);
  if (hits.length === 0) {
    throw new EmulatorError(`no stack output '${key}'${stack ? ` in ${stack}` : ''}; outputs are: ${known.join(' | ') || '(none)'}`, {
      key,
      stack,
    });
  }
  throw new EmulatorError(`stack output '${key}' exists in ${hits.map((h) => h.name).join(' and ')}; name the stack`, { key });
}

/**
 * Poll `probe` until it returns something other than undefined/null/false, and return that. A probe
 * that throws is retried too (the resource may not exist yet); on timeout the error says what was awaited,
 * the last value seen and the last error.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: WaitForOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 500;
  const started = Date.now();
  let attempts = 0;
  let lastValue: unknown;
  let lastError: unknown;
  for (;;) {
    attempts += 1;
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      const seen = lastError ? `last error: ${describe(lastError)}` : `last result: ${JSON.stringify(lastValue)}`;
      throw new WaitTimeoutError(
        `timed out after ${elapsed} ms (${attempts} attempts) waiting for ${options.what}; ${seen}`,
        { what: options.what, timeoutMs, attempts },
        { cause: lastError },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, timeoutMs - elapsed))));
  }
}

// --- internals -----------------------------------------------------------------------------------------

function portOf(endpoint: string): number {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new EmulatorError(`endpoint '${endpoint}' is not a URL (expected http://127.0.0.1:PORT)`, { endpoint }, { cause });
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return port;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

interface RunOptions {
  readonly env?: Record<string, string>;
  readonly timeoutMs: number;
  readonly what: string;
  /** Also keep the whole output here (deploy logs are long; the error shows only the tail). */
  readonly logFile?: string;
}

/** Run a command without stdin; reject with its output tail when it fails or overruns. */
function run(command: string, args: string[], options: RunOptions): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group, so a timeout stops the script and whatever it started (cdk, esbuild, ...).
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    const verbose = process.env.CUTOVER_E2E_VERBOSE === '1';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (verbose) process.stderr.write(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    }, options.timeoutMs);
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(new EmulatorError(`${options.what}: could not run ${command}`, { command, args }, { cause }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (options.logFile) {
        mkdirSync(path.dirname(options.logFile), { recursive: true });
        writeFileSync(options.logFile, `${stdout}\n--- stderr ---\n${stderr}`);
      }
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const why = timedOut ? `timed out after ${options.timeoutMs} ms` : `exited with ${code ?? signal}`;
      const where = options.logFile ? ` (full log: ${options.logFile})` : '';
      reject(
        new EmulatorError(`${options.what} ${why}${where}:\n${tail(`${stdout}\n${stderr}`)}`, {
          command,
          args,
          code,
          signal,
        }),
      );
    });
  });
}
