/**
 * The names lib/ and the runtime agree on, in one place: the environment variables lib/ sets on each Lambda
 * and the handlers read, and the stack output keys lib/ writes and cli/, scripts and tests read. Both sides
 * take their names from here (lib/'s function environment and `requireEnv` accept only an {@link EnvName},
 * the output readers only an {@link OutputKey}), so a renamed name fails the typecheck instead of a deploy.
 * The values are what deployed stacks already carry: changing one is a breaking change for them.
 */

/** Environment variables of the cutover Lambdas, SCREAMING_SNAKE as lib/ sets them. */
export const ENV = {
  appliedRetainMinutes: 'APPLIED_RETAIN_MINUTES',
  auditBus: 'AUDIT_BUS',
  auditQueueUrl: 'AUDIT_QUEUE_URL',
  auditTableName: 'AUDIT_TABLE_NAME',
  batchSize: 'BATCH_SIZE',
  candidateUrls: 'CANDIDATE_URLS',
  capturePiiSalt: 'CAPTURE_PII_SALT',
  capturePrefix: 'CAPTURE_PREFIX',
  capturedTableName: 'CAPTURED_TABLE_NAME',
  carrierProvider: 'CARRIER_PROVIDER',
  carrierQuarantineQueueUrl: 'CARRIER_QUARANTINE_QUEUE_URL',
  carrierWebhookEventsTableName: 'CARRIER_WEBHOOK_EVENTS_TABLE_NAME',
  carrierWebhookSecretArn: 'CARRIER_WEBHOOK_SECRET_ARN',
  changesQueueUrl: 'CHANGES_QUEUE_URL',
  cursorSecretArn: 'CURSOR_SECRET_ARN',
  cutoverFaults: 'CUTOVER_FAULTS',
  cutoverSpecJson: 'CUTOVER_SPEC_JSON',
  dataApiAuth: 'DATA_API_AUTH',
  dataApiMetricsNamespace: 'DATA_API_METRICS_NAMESPACE',
  dataApiService: 'DATA_API_SERVICE',
  dataApiTables: 'DATA_API_TABLES',
  exportBucket: 'EXPORT_BUCKET',
  inventoryTableName: 'INVENTORY_TABLE_NAME',
  lagSeconds: 'LAG_SECONDS',
  ledgerTableName: 'LEDGER_TABLE_NAME',
  legacyBusName: 'LEGACY_BUS_NAME',
  lookbackSeconds: 'LOOKBACK_SECONDS',
  maxDurationMs: 'MAX_DURATION_MS',
  maxEvents: 'MAX_EVENTS',
  migrationTables: 'MIGRATION_TABLES',
  monolithTableName: 'MONOLITH_TABLE_NAME',
  monolithUrl: 'MONOLITH_URL',
  nodeOptions: 'NODE_OPTIONS',
  notificationsTableName: 'NOTIFICATIONS_TABLE_NAME',
  orderSagaArn: 'ORDER_SAGA_ARN',
  paymentProvider: 'PAYMENT_PROVIDER',
  paymentTableName: 'PAYMENT_TABLE_NAME',
  pollIntervalMs: 'POLL_INTERVAL_MS',
  purgeEveryMinutes: 'PURGE_EVERY_MINUTES',
  quarantineTableName: 'QUARANTINE_TABLE_NAME',
  referenceRules: 'REFERENCE_RULES',
  rejectsQueueUrl: 'REJECTS_QUEUE_URL',
  replayMaxReceives: 'REPLAY_MAX_RECEIVES',
  replayQueueUrl: 'REPLAY_QUEUE_URL',
  replaySliceSeconds: 'REPLAY_SLICE_SECONDS',
  replayStateTableName: 'REPLAY_STATE_TABLE_NAME',
  replayTargets: 'REPLAY_TARGETS',
  reportTableName: 'REPORT_TABLE_NAME',
  reservationTtlSeconds: 'RESERVATION_TTL_SECONDS',
  retainMinutes: 'RETAIN_MINUTES',
  routingCacheTtlMs: 'ROUTING_CACHE_TTL_MS',
  routingHistoryTableName: 'ROUTING_HISTORY_TABLE_NAME',
  routingTableName: 'ROUTING_TABLE_NAME',
  sagaCallbacksTableName: 'SAGA_CALLBACKS_TABLE_NAME',
  sampleSize: 'SAMPLE_SIZE',
  servicesBusName: 'SERVICES_BUS_NAME',
  shadowBusName: 'SHADOW_BUS_NAME',
  shadowFunctionName: 'SHADOW_FUNCTION_NAME',
  shadowOutcomesTableName: 'SHADOW_OUTCOMES_TABLE_NAME',
  shipmentsTableName: 'SHIPMENTS_TABLE_NAME',
  shippingTimeoutSeconds: 'SHIPPING_TIMEOUT_SECONDS',
  sourceSecretArn: 'SOURCE_SECRET_ARN',
  sourceUrl: 'SOURCE_URL',
  stateTableName: 'STATE_TABLE_NAME',
  sweepTableName: 'SWEEP_TABLE_NAME',
  tableNames: 'TABLE_NAMES',
  validateEntities: 'VALIDATE_ENTITIES',
} as const;

/** The name of an environment variable some cutover Lambda reads. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** A Lambda's environment as lib/ sets it: only names the runtime knows. */
export type FunctionEnvironment = Partial<Record<EnvName, string>>;

/**
 * Stack output keys (CfnOutput ids), per stack. `*Prefix` keys are followed by a PascalCase name (a table,
 * a service): `MigrationTableOrders`, `DataApiUrlOrders`.
 */
export const OUTPUTS = {
  bridge: {
    legacyBusName: 'LegacyBusName',
    servicesBusName: 'ServicesBusName',
    legacyBusArn: 'LegacyBusArn',
    servicesBusArn: 'ServicesBusArn',
    auditTableName: 'AuditTableName',
    quarantineTableName: 'QuarantineTableName',
    translatorDlqUrl: 'TranslatorDlqUrl',
    auditDlqUrl: 'AuditDlqUrl',
  },
  routing: {
    routingTableName: 'RoutingTableName',
    routingHistoryTableName: 'RoutingHistoryTableName',
    shadowOutcomesTableName: 'ShadowOutcomesTableName',
    routerFunctionName: 'RouterFunctionName',
    registryFunctionName: 'RegistryFunctionName',
    autoRollbackFunctionName: 'AutoRollbackFunctionName',
    alarmTopicArn: 'RoutingAlarmTopicArn',
    alarmNames: 'RoutingAlarmNames',
    inboxUrls: 'RoutingInboxUrls',
    inboxConsumers: 'RoutingInboxConsumers',
    deadLetterQueueUrl: 'RoutingDlqUrl',
  },
  replay: {
    capturedEventsTableName: 'CapturedEventsTableName',
    replayStateTableName: 'ReplayStateTableName',
    diffReportTableName: 'DiffReportTableName',
    replayFunctionName: 'ReplayFunctionName',
    replayQueueUrl: 'ReplayQueueUrl',
    replayDlqUrl: 'ReplayDlqUrl',
    captureFunctionName: 'CaptureFunctionName',
    captureQueueUrl: 'CaptureQueueUrl',
    captureDlqUrl: 'CaptureDlqUrl',
    shadowBusName: 'ShadowBusName',
    replayTargets: 'ReplayTargets',
    candidateFunctionName: 'CandidateFunctionName',
  },
  saga: {
    orderSagaArn: 'OrderSagaArn',
    orderSagaName: 'OrderSagaName',
    sagaStateTable: 'SagaStateTableName',
    needsAttentionTable: 'NeedsAttentionTableName',
    callbacksTable: 'SagaCallbacksTableName',
    ordersTable: 'OrdersTableName',
    inventoryTable: 'InventoryTableName',
    paymentsTable: 'PaymentsTableName',
    shipmentsTable: 'ShipmentsTableName',
    notificationsTable: 'NotificationsTableName',
    monolithTable: 'ReferenceMonolithTableName',
    deadLetterQueueUrl: 'SagaDlqUrl',
    /** JSON: fault service (inventory, payment, shipping, notification, monolith) -> function name; `cutover chaos run` sets their faults. */
    referenceFunctions: 'SagaReferenceFunctions',
    carrierWebhookUrl: 'CarrierWebhookUrl',
    carrierWebhookApiId: 'CarrierWebhookApiId',
    carrierWebhookStage: 'CarrierWebhookStage',
    carrierWebhookSecretArn: 'CarrierWebhookSecretArn',
    carrierQuarantineQueueUrl: 'CarrierQuarantineQueueUrl',
  },
  data: {
    /** JSON: entity -> deployed table name. */
    migrationTables: 'MigrationTables',
    /** Followed by the spec table name in PascalCase: `MigrationTableOrders`. */
    migrationTablePrefix: 'MigrationTable',
    validatorFunctionName: 'ConsistencyValidatorFunctionName',
    validatorDlqUrl: 'ConsistencyValidatorDlqUrl',
    sweepTableName: 'ConsistencySweepTableName',
    exportBackfillStateMachineArn: 'ExportBackfillStateMachineArn',
    exportBackfillWorkerName: 'ExportBackfillWorkerName',
  },
  api: {
    urlPrefix: 'DataApiUrl',
    idPrefix: 'DataApiId',
    stage: 'DataApiStage',
    userPoolPrefix: 'DataApiUserPool',
    userPoolClientPrefix: 'DataApiUserPoolClient',
  },
  sync: {
    changesQueueUrl: 'SyncChangesQueueUrl',
    rejectsQueueUrl: 'SyncRejectsQueueUrl',
    dlqUrl: 'SyncDlqUrl',
    ledgerTableName: 'SyncLedgerTableName',
    stateTableName: 'SyncStateTableName',
    sourceSecretArn: 'SyncSourceSecretArn',
    relayFunctionName: 'SyncRelayFunctionName',
    itemsFunctionName: 'SyncItemsFunctionName',
    streamFunctionName: 'SyncStreamFunctionName',
    relayRuleName: 'SyncRelayRuleName',
  },
  facade: {
    url: 'FacadeUrl',
    apiId: 'FacadeApiId',
    stage: 'FacadeStage',
    functionName: 'FacadeFunctionName',
    shadowFunctionName: 'FacadeShadowFunctionName',
  },
  operations: {
    alarmTopicArn: 'OperationsAlarmTopicArn',
    dashboardName: 'OperationsDashboardName',
    alarmNames: 'OperationsAlarmNames',
    deadLetterQueueUrls: 'DeadLetterQueueUrls',
  },
} as const;

type Values<T> = T[keyof T];
type PrefixKey<T> = { [K in keyof T]: K extends `${string}Prefix` ? T[K] : never }[keyof T];
type PlainKey<T> = { [K in keyof T]: K extends `${string}Prefix` ? never : T[K] }[keyof T];
type Stacks = typeof OUTPUTS;

/** A stack output key: one of OUTPUTS, or a `*Prefix` key followed by a name. */
export type OutputKey =
  Values<{ [S in keyof Stacks]: PlainKey<Stacks[S]> }> | `${Values<{ [S in keyof Stacks]: PrefixKey<Stacks[S]> }> & string}${string}`;
