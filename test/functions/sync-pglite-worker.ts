import type { PGlite } from '@electric-sql/pglite';
import { Worker } from 'node:worker_threads';

/**
 * An in-memory PGlite in a worker thread (jest's VM sandbox cannot run PGlite's dynamic imports), offering
 * the `query` the capture adapter uses, with rows and affected-row counts.
 */
export async function startCapturePglite(): Promise<{ db: Pick<PGlite, 'query' | 'close'>; close(): Promise<void> }> {
  const entry = require.resolve('@electric-sql/pglite');
  const worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads');
    const { PGlite } = require(${JSON.stringify(entry)});
    const db = new PGlite();
    const plain = (v) => (typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v);
    parentPort.on('message', async ({ id, method, args }) => {
      try {
        if (method === 'close') { await db.close(); parentPort.postMessage({ id }); return; }
        const r = await db.query(...args);
        parentPort.postMessage({ id, result: { rows: r.rows.map((row) => Array.isArray(row) ? row.map(plain) : row), affectedRows: r.affectedRows } });
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
    query: (sql: string, params?: unknown[], options?: unknown) => call('query', [sql, params, options]),
    close: () => call('close', []),
  };
  return {
    db: db as unknown as Pick<PGlite, 'query' | 'close'>,
    close: async () => {
      await call('close', []);
      await worker.terminate();
    },
  };
}
