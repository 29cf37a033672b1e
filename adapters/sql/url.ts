import * as path from 'node:path';
import { SourceError } from '../../core/migration';
import { MysqlSource, textTypeCast } from './mysql';
import { PgliteSource } from './pglite';
import { PostgresSource } from './postgres';
import type { SqlSource } from './sql-source';

export type SourceKind = 'postgres' | 'mysql' | 'pglite';

export interface SourceUrl {
  readonly kind: SourceKind;
  /** The URL handed to the driver (our own query parameters removed). */
  readonly driverUrl: string;
  /** For pglite: a data directory, or undefined for an in-memory database. */
  readonly dataDir?: string;
  /** `?prefix=` : a table name prefix. */
  readonly tablePrefix: string;
  /** The URL without password, for checkpoints, logs and reports. */
  readonly label: string;
}

/**
 * Parses a source URL:
 *   postgres://user[:password]@host[:port]/db[?prefix=t_]   (also postgresql://)
 *   mysql://user[:password]@host[:port]/db[?prefix=t_]      (also mariadb://)
 *   pglite://memory   pglite://<dir> (relative to the working directory)   pglite:///abs/dir
 */
export function parseSourceUrl(url: string): SourceUrl {
  const m = /^([a-z]+):\/\/(.*)$/i.exec(url);
  if (!m) throw new SourceError(`source ${JSON.stringify(url)} is not a URL; use postgres://..., mysql://... or pglite://<dir>`, { url });
  const scheme = m[1].toLowerCase();
  if (scheme === 'pglite') {
    const [rest, query = ''] = m[2].split('?');
    const tablePrefix = new URLSearchParams(query).get('prefix') ?? '';
    const suffix = tablePrefix ? `?prefix=${tablePrefix}` : '';
    if (rest === 'memory' || rest === '')
      return { kind: 'pglite', driverUrl: 'pglite://memory', tablePrefix, label: `pglite://memory${suffix}` };
    const dataDir = path.resolve(rest);
    return { kind: 'pglite', driverUrl: `pglite://${rest}`, dataDir, tablePrefix, label: `pglite://${rest}${suffix}` };
  }
  const kind: SourceKind | undefined =
    scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : undefined;
  if (!kind)
    throw new SourceError(`source scheme ${JSON.stringify(scheme)} is not supported; use postgres, mysql, mariadb or pglite`, {
      url: redact(url),
    });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw new SourceError(`source URL ${JSON.stringify(redact(url))} cannot be parsed`, { url: redact(url) }, { cause: e });
  }
  const tablePrefix = parsed.searchParams.get('prefix') ?? '';
  parsed.searchParams.delete('prefix');
  parsed.protocol = kind === 'mysql' ? 'mysql:' : 'postgres:';
  const label = redact(
    `${parsed.protocol}//${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}${tablePrefix ? `?prefix=${tablePrefix}` : ''}`,
  );
  return { kind, driverUrl: parsed.toString(), tablePrefix, label };
}

/** The URL with any password replaced by ***. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}

export interface OpenSourceOptions {
  /** Connections to open (segments read in parallel, plus child queries). @default 4 */
  readonly connections?: number;
}

/**
 * Opens a read-only source for a URL. The caller closes it. Drivers are loaded with `require` when first
 * needed (not `import()`): the same code then runs under tsx, in worker threads, in jest and bundled.
 */
export async function openSource(url: string, options: OpenSourceOptions = {}): Promise<SqlSource> {
  const u = parseSourceUrl(url);
  const max = options.connections ?? 4;
  if (u.kind === 'postgres') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({
      connectionString: u.driverUrl,
      max,
      // Read-only sessions in UTC: a migration never writes to the monolith.
      options: '-c default_transaction_read_only=on -c TimeZone=UTC -c DateStyle=ISO',
    });
    return new PostgresSource(pool, u.label, { tablePrefix: u.tablePrefix });
  }
  if (u.kind === 'mysql') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const pool = mysql.createPool({
      uri: u.driverUrl,
      connectionLimit: max,
      typeCast: textTypeCast as never,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    pool.pool.on('connection', (conn: { query: (sql: string) => unknown }) => {
      conn.query('SET SESSION TRANSACTION READ ONLY');
      conn.query("SET time_zone = '+00:00'");
    });
    return new MysqlSource(pool, u.label, { tablePrefix: u.tablePrefix });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const db = u.dataDir ? new PGlite(u.dataDir) : new PGlite();
  await db.waitReady;
  return new PgliteSource(db, u.label, { tablePrefix: u.tablePrefix, ownsDatabase: true });
}
