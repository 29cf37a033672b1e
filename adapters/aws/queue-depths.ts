import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CutoverError } from '../../core/errors';

/** A queue could not be read (gone, no permission): the name and the SDK's reason. */
export class QueueDepthError extends CutoverError {}

/** Messages in one queue: waiting, and taken by a consumer but not yet deleted. */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
}

/**
 * Reads the depth of named queues (the deployment's dead-letter queues, by the names in the
 * DeadLetterQueueUrls output). One queue that cannot be read is reported as such; the others still are.
 */
export class QueueDepths {
  private readonly client: SQSClient;

  public constructor(options: { client?: SQSClient } = {}) {
    // The deployed queue URLs name their host; on an emulator that host may differ from AWS_ENDPOINT_URL.
    this.client = options.client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
  }

  public async read(urls: Readonly<Record<string, string>>): Promise<Record<string, QueueDepth | QueueDepthError>> {
    const entries = await Promise.all(
      Object.entries(urls).map(async ([name, url]): Promise<[string, QueueDepth | QueueDepthError]> => {
        try {
          const res = await this.client.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          const a = res.Attributes ?? {};
          return [
            name,
            { visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) },
          ];
        } catch (err) {
          const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          return [name, new QueueDepthError(`queue ${name} (${url}) could not be read: ${why}`, { name, url }, { cause: err })];
        }
      }),
    );
    return Object.fromEntries(entries);
  }
}
