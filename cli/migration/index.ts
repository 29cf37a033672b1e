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
export * from '../../adapters/sql/sql-source';
export { openSource, parseSourceUrl, redact, type SourceUrl } from '../../adapters/sql/url';
export { PostgresSource } from '../../adapters/sql/postgres';
export { MysqlSource } from '../../adapters/sql/mysql';
export { PgliteSource } from '../../adapters/sql/pglite';
export * from '../../adapters/migration-target/target';
export { DynamoTable, type DynamoTableOptions } from '../../adapters/migration-target/dynamodb';
export { ExportFileSource, ExportFileWriter, listExportFiles } from '../../adapters/migration-target/export-file';
