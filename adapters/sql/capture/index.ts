/**
 * Change capture on the monolith database: what the relay Lambda, the services->monolith applier and
 * the CLI import. See README "Change capture" for the design (commit order, loop prevention, outbox).
 */
export { openCaptureDatabase, pgliteDatabase, type CaptureDatabase, type CaptureDialect, type SqlSession } from './database';
export { CaptureError, LeaseLostError, SinkError } from './errors';
export {
  installCapture,
  planCapture,
  uninstallCapture,
  unshippedCount,
  describeTable,
  type CapturePlan,
  type CaptureTarget,
  type InstallReport,
} from './install';
export {
  ChangeRelay,
  purgeShipped,
  relayStatus,
  type PassResult,
  type RelayOptions,
  type RelayStatus,
  type RunOptions,
  type RunReport,
} from './relay';
export { SqlChangeWriter } from './sql-writer';
export { SqsFifoSink, sqsId } from './sqs-sink';
