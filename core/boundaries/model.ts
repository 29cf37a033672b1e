/*
 * The inputs and outputs of the boundary analysis. Everything here is plain data: the schema and the
 * workload arrive already read (adapters/ does the I/O), and the report is what the CLI renders.
 */

export type Dialect = 'postgres' | 'mysql';

export interface Column {
  readonly name: string;
  /** The declared type as the source spells it (lower case), for reports only. */
  readonly type: string;
}

export interface ForeignKey {
  readonly columns: string[];
  readonly refTable: string;
  readonly refColumns: string[];
}

export interface Table {
  /** Exactly as in the schema (prefix and case kept): reports and JSON use this spelling. */
  readonly name: string;
  readonly columns: Column[];
  readonly primaryKey: string[];
  readonly foreignKeys: ForeignKey[];
}

export interface Schema {
  readonly dialect: Dialect;
  readonly tables: Table[];
  /** Statements the reader could not use, each with why: kept for the report, never silently dropped. */
  readonly skipped: Array<{ readonly statement: string; readonly reason: string }>;
}

export type RelationshipKind = 'declared' | 'inferred';

/** A reference from `from` (the table holding the key) to `to` (the table it points at). */
export interface Relationship {
  readonly from: string;
  readonly fromColumns: string[];
  readonly to: string;
  readonly toColumns: string[];
  readonly kind: RelationshipKind;
  /** Declared: the constraint. Inferred: which rule matched and on what. */
  readonly reason: string;
  /** 1 for declared keys; below 1 for inferred ones, by how strong the evidence is. */
  readonly confidence: number;
}

/** One statement of the workload, as a digest with its number of executions. */
export interface StatementSample {
  readonly sql: string;
  readonly calls: number;
  /** The transaction it ran in, when the source knows it (JSONL, csvlog, general log). */
  readonly txid?: string;
}

/** A statement after parsing: which tables it touches and which it writes. */
export interface StatementAccess {
  readonly sql: string;
  readonly calls: number;
  readonly txid?: string;
  readonly tables: string[];
  readonly writes: string[];
}

export interface TransactionAccess {
  readonly txid: string;
  readonly calls: number;
  readonly tables: string[];
  readonly writes: string[];
  readonly statements: number;
}

export interface Workload {
  readonly statements: StatementAccess[];
  readonly transactions: TransactionAccess[];
  /** Statements the parser could not read, with their calls: reported so the coverage is visible. */
  readonly unparsed: Array<{ readonly sql: string; readonly calls: number; readonly reason: string }>;
  /** Tables named by statements but absent from the schema (temp tables, another schema). */
  readonly unknownTables: string[];
  readonly totalCalls: number;
}

export interface EdgeEvidence {
  /** 1 for a declared key (2 when identifying: see graph.ts), 0 without. */
  declared: number;
  /** The strongest inferred key's confidence (doubled when identifying), 0 without. */
  inferred: number;
  /** Calls of statements that touch both tables (joins, subqueries). */
  statementCalls: number;
  /** Calls of transactions that touch both tables. */
  transactionCalls: number;
}

export interface Candidate {
  readonly name: string;
  readonly tables: string[];
  /** Tables the user pinned here (`--pin table=service`). */
  readonly pinned: string[];
  /** Weight of the edges inside / (inside + leaving): 1 means self-contained. */
  readonly cohesion: number;
  /** Weight of the edges leaving the candidate. */
  readonly coupling: number;
  /** Tables other candidates reference or co-access: the candidate's would-be interface. */
  readonly interface: string[];
  /** True for the bucket of tables with no relationship and no access at all. */
  readonly unattached?: boolean;
}

export interface Metrics {
  readonly candidates: number;
  readonly tables: number;
  readonly modularity: number;
  readonly meanCohesion: number;
  readonly totalCoupling: number;
  /** Structural modularity (Jin et al.): mean cohesion minus mean pairwise coupling, on edge counts. */
  readonly sm: number;
  /** Inter-call percentage: share of the workload's co-access weight that crosses a boundary. */
  readonly icp: number;
  /** Interface number: mean count of tables per candidate that others reach. */
  readonly ifn: number;
  /** Non-extreme distribution: share of tables in candidates of extreme size (lower is better). */
  readonly ned: number;
  readonly crossBoundaryRelationships: number;
  readonly relationships: number;
  /** Share of transactions, weighted by calls, that touch more than one candidate. */
  readonly distributedTransactionShare: number;
  readonly transactionCalls: number;
}

export interface CycleEdge {
  readonly from: string;
  readonly to: string;
  readonly relationships: Array<{
    readonly from: string;
    readonly to: string;
    readonly columns: string[];
    readonly kind: RelationshipKind;
  }>;
}

export interface Cycle {
  /** Candidates in order; the last depends on the first. */
  readonly candidates: string[];
  readonly edges: CycleEdge[];
  /** The candidate dependency whose removal breaks the cycle at the least cost (fewest relationships). */
  readonly breakAt: { readonly from: string; readonly to: string; readonly how: string };
}

export type SuggestionKind = 'keep-together' | 'saga' | 'replicate-read-model';

export interface SagaSkeletonStep {
  readonly name: string;
  readonly owner: string;
  readonly tables: string[];
  readonly forward: string;
  /** Absent for a step that only reads: nothing to undo. */
  readonly compensation?: string;
}

export interface TransactionSuggestion {
  readonly txid: string;
  readonly calls: number;
  readonly candidates: string[];
  readonly tables: string[];
  readonly kind: SuggestionKind;
  readonly why: string;
  readonly saga?: { readonly name: string; readonly steps: SagaSkeletonStep[] };
  readonly readModel?: { readonly owner: string; readonly replicates: string[]; readonly events: string[] };
}

/** A draft entity in the spec's `migration.entities` format (core/spec/migration.ts): it validates as is. */
export interface DraftEntity {
  readonly description: string;
  readonly source: { readonly table: string; readonly key: string[] };
  readonly target: { readonly table: string; readonly partitionKey: string; readonly sortKey?: string };
  readonly fields: Array<{ readonly attribute: string; readonly column?: string; readonly template?: string; readonly constant?: string }>;
  readonly children: Array<{
    readonly name: string;
    readonly table: string;
    readonly foreignKey: string[];
    readonly orderBy: string[];
    readonly shape: 'embed';
    readonly fields: Array<{ readonly attribute: string; readonly column: string }>;
  }>;
}

export interface DraftCapability {
  readonly name: string;
  readonly tables: string[];
  readonly events: string[];
}

export interface BoundaryReport {
  readonly candidates: Candidate[];
  readonly metrics: Metrics;
  readonly cycles: Cycle[];
  readonly inferred: Relationship[];
  readonly declared: Relationship[];
  /** Tables so many others reference that they are shared reference data (replicate them, do not centre a service on them). */
  readonly shared: Array<{ readonly table: string; readonly referencedBy: number }>;
  readonly suggestions: TransactionSuggestion[];
  readonly draft: { readonly capabilities: DraftCapability[]; readonly migration: { readonly entities: Record<string, DraftEntity> } };
  readonly edges: Array<{ readonly a: string; readonly b: string; readonly weight: number; readonly evidence: EdgeEvidence }>;
  readonly workload: {
    readonly statements: number;
    readonly transactions: number;
    readonly calls: number;
    readonly unparsed: number;
    readonly unparsedCalls: number;
    readonly unknownTables: string[];
  };
  readonly skipped: Schema['skipped'];
  readonly options: {
    readonly seed: number;
    readonly resolution: number;
    readonly services?: number;
    readonly maxSize?: number;
    readonly pins: Record<string, string>;
  };
}
