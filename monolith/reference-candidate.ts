import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the new customers service behind the façade, for the demo, the tests and the bench:
 * answers the routes it owns by asking the monolith's HTTP API (so it serves the same data the migration
 * would have copied) and says who served (`x-served-by: candidate`). `drift` makes it differ on purpose
 * for some requests, the way a new implementation does until it is right, so shadow comparison has
 * something to find.
 */
export interface ReferenceCandidateOptions {
  /** The monolith's base URL. */
  readonly monolithUrl: string;
  /** Rewrites a JSON body this candidate is about to return (a deliberate difference). @default none */
  readonly drift?: (path: string, body: Record<string, unknown>) => Record<string, unknown>;
}

export class ReferenceCandidate {
  private server: http.Server | undefined;
  /** Requests served, with the value of x-cutover-shadow ('1' for a shadow copy). */
  public readonly requests: Array<{ method: string; path: string; shadow: boolean; customer?: string }> = [];

  public constructor(private readonly options: ReferenceCandidateOptions) {}

  public async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  public async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = req.url ?? '/';
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      shadow: req.headers['x-cutover-shadow'] === '1',
      customer: req.headers['x-customer-id'] as string | undefined,
    });
    try {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-customer-id', 'cookie', 'authorization', 'x-correlation-id']) {
        const v = req.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      const body = chunks.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? Buffer.concat(chunks) : undefined;
      // A shadow copy of a write must not write twice: the candidate answers it as a dry run.
      const shadowWrite = req.headers['x-cutover-shadow'] === '1' && req.method !== 'GET' && req.method !== 'HEAD';
      const upstream = await fetch(`${this.options.monolithUrl}${shadowWrite ? path.split('?')[0] : path}`, {
        method: shadowWrite ? 'GET' : req.method,
        headers,
        body: shadowWrite ? undefined : body,
      });
      let text = await upstream.text();
      if (this.options.drift && /json/.test(upstream.headers.get('content-type') ?? '') && upstream.status < 300) {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        text = JSON.stringify(
          this.options.drift(
            path,
            shadowWrite && body ? { ...parsed, ...(JSON.parse(body.toString('utf8')) as Record<string, unknown>) } : parsed,
          ),
        );
      } else if (shadowWrite && body && upstream.status < 300) {
        text = JSON.stringify({
          ...(JSON.parse(text) as Record<string, unknown>),
          ...(JSON.parse(body.toString('utf8')) as Record<string, unknown>),
        });
      }
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
        'x-served-by': 'candidate',
      });
      res.end(text);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'application/problem+json', 'x-served-by': 'candidate' });
      res.end(JSON.stringify({ title: 'Bad Gateway', status: 502, detail: `candidate could not read the monolith: ${String(err)}` }));
    }
  }
}
