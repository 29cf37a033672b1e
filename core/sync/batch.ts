/**
 * Partial batch failures for ordered sources. SQS FIFO and DynamoDB Streams both keep per-key order only
 * if nothing after a failed message of a group is acknowledged: once a group fails, every later message of
 * that group in the batch is reported failed too (retried after it, in order), while other groups go on.
 */
export async function applyInGroupOrder<T>(
  messages: readonly T[],
  groupOf: (m: T) => string,
  apply: (m: T) => Promise<void>,
  onError?: (m: T, err: unknown) => void,
): Promise<T[]> {
  const failedGroups = new Set<string>();
  const failed: T[] = [];
  for (const m of messages) {
    const group = groupOf(m);
    if (failedGroups.has(group)) {
      failed.push(m);
      continue;
    }
    try {
      await apply(m);
    } catch (err) {
      onError?.(m, err);
      failedGroups.add(group);
      failed.push(m);
    }
  }
  return failed;
}
