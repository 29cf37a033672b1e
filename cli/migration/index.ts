/** The data migration's CLI side: SQL sources, DynamoDB and export targets, the backfill and verify engines. */
export * from './audit';
export * from './backfill';
export * from './segments';
export * from './config';
export * from './fold';
export { foldExportInWorker } from './fold-worker';
export * from './progress';
export * from './spill';
export * from './state';
export * from './verify';
export * from './source/sql-source';
export { openSource, parseSourceUrl, redact, type SourceUrl } from './source/url';
export { PostgresSource } from './source/postgres';
export { MysqlSource } from './source/mysql';
export { PgliteSource } from './source/pglite';
export * from './target/target';
export { DynamoTable, type DynamoTableOptions } from './target/dynamodb';
export { ExportFileSource, ExportFileWriter, listExportFiles } from './target/export-file';
