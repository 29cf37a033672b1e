import type { PGlite } from '@electric-sql/pglite';
import { Worker } from 'node:worker_threads';

/**
 * PGlite in a worker thread, driven through messages. Jest runs tests in a VM sandbox where PGlite's
 * dynamic imports of Node built-ins need --experimental-vm-modules; a worker thread is outside the sandbox.
 * The object returned has the part of PGlite's interface the source and the seed writer use (query, exec).
 */
export async function startPgliteWorker(): Promise<{ db: PGlite; close(): Promise<void> }> {
  const entry = require.resolve('@electric-sql/pglite');
  const worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads');
    const { PGlite } = require(${JSON.stringify(entry)});
    const db = new PGlite();
    parentPort.on('message', async ({ id, method, args }) => {
      try {
        if (method === 'close') { await db.close(); parentPort.postMessage({ id }); return; }
        const result = await db[method](...args);
        parentPort.postMessage({ id, result: { rows: result.rows ?? result.map?.((r) => r.rows) } });
      } catch (e) {
        parentPort.postMessage({ id, error: { name: e.name, message: e.message } });
      }
    });
    db.waitReady.then(() => parentPort.postMessage({ id: 0 }));
    `,
    { eval: true },
  );
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const ready = new Promise<void>((resolve) => pending.set(0, { resolve: () => resolve(), reject: () => undefined }));
  worker.on('message', (m: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (!p) return;
    if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
    else p.resolve(m.result);
  });
  const call = (method: string, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args });
    });
  await ready;
  const db = {
    waitReady: Promise.resolve(),
    query: (sql: string, params?: unknown[], options?: unknown) => call('query', [sql, params, options]),
    exec: (sql: string) => call('exec', [sql]),
    close: () => call('close', []),
  };
  return {
    db: db as unknown as PGlite,
    close: async () => {
      await call('close', []);
      await worker.terminate();
    },
  };
}
