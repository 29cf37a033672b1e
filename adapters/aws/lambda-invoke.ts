import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CutoverError } from '../../core/errors';
import { lambdaClient } from './clients';

/** The shared endpoint-aware Lambda client (AWS_ENDPOINT_URL is honoured by the SDK; traced in Lambda). */
export { lambdaClient };

/** Asynchronous invokes carry at most 256 KB (1 MB on newer accounts); the smaller is the safe bound. */
export const ASYNC_INVOKE_LIMIT_BYTES = 256 * 1024 - 1024;

export class AsyncInvokeError extends CutoverError {}

/**
 * Hands `payload` to a function and returns once Lambda has queued it (InvocationType Event): the caller
 * does not wait for the work. Throws `AsyncInvokeError` for a payload over the limit (naming its size) or a
 * refused invoke.
 */
export async function invokeAsync(functionName: string, payload: unknown, lambda: LambdaClient = lambdaClient()): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(payload));
  if (bytes.byteLength > ASYNC_INVOKE_LIMIT_BYTES)
    throw new AsyncInvokeError(`payload is ${bytes.byteLength} bytes; an asynchronous invoke takes at most ${ASYNC_INVOKE_LIMIT_BYTES}`, {
      functionName,
      bytes: bytes.byteLength,
    });
  const res = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: bytes }));
  if (res.StatusCode !== undefined && res.StatusCode !== 202)
    throw new AsyncInvokeError(`${functionName} refused the asynchronous invoke: status ${res.StatusCode}`, {
      functionName,
      status: res.StatusCode,
    });
}
