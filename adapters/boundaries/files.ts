import * as fs from 'node:fs';
import * as path from 'node:path';
import { BoundaryError } from '../../core/errors';
import {
  csvlogSamples,
  jsonlSamples,
  mysqlGeneralLogSamples,
  parseDdl,
  type Dialect,
  type LogFormat,
  type Schema,
  type StatementSample,
} from '../../core/boundaries';

/* Files for `cutover boundaries`: DDL scripts and query logs. Parsing is core's; this only reads. */

function read(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new BoundaryError(`${what} ${file}: cannot be read: ${e instanceof Error ? e.message : String(e)}`, { file }, { cause: e });
  }
}

/** One schema from several DDL files (a dump, or migrations in order). */
export function readDdlFiles(files: readonly string[], dialect: Dialect, replace: Record<string, string> = {}): Schema {
  if (files.length === 0) throw new BoundaryError('--ddl: give at least one file', { field: 'ddl' });
  const text = files.map((f) => read(f, 'DDL file')).join(';\n');
  return parseDdl(text, { dialect, replace });
}

/** The log format from `--log-format`, else from the file name (.jsonl/.ndjson, .csv, anything else: MySQL general log). */
export function logFormatOf(file: string, explicit?: string): LogFormat {
  if (explicit) {
    if (explicit === 'jsonl' || explicit === 'csvlog' || explicit === 'mysql-general') return explicit;
    throw new BoundaryError(`--log-format must be jsonl, csvlog or mysql-general, got ${JSON.stringify(explicit)}`, {
      field: 'logFormat',
      value: explicit,
    });
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csvlog';
  return 'mysql-general';
}

export function readQueryLog(file: string, format: LogFormat): Iterable<StatementSample> {
  const text = read(file, 'query log');
  if (format === 'jsonl') return jsonlSamples(text.split('\n'), path.basename(file));
  if (format === 'csvlog') return csvlogSamples(text);
  return mysqlGeneralLogSamples(text);
}
