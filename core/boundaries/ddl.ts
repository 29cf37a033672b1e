import { Parser } from 'node-sql-parser';
import type { Column, Dialect, ForeignKey, Schema } from './model';
import { splitStatements, withoutTableOptions } from './sql-text';

/*
 * A schema from DDL text (a schema dump, a mysqldump file, migration scripts) read with node-sql-parser.
 * Only CREATE TABLE and ALTER TABLE ... ADD [CONSTRAINT] FOREIGN KEY / PRIMARY KEY matter here; every
 * other statement (SET, INSERT, CREATE INDEX, DROP...) is passed over. A CREATE or ALTER the parser cannot
 * read is listed in `skipped` with the parser's message, so the report says what it did not see.
 */

export interface DdlOptions {
  readonly dialect: Dialect;
  /**
   * Text replaced before parsing, e.g. `{ '{{prefix}}': '' }`. Template placeholders such as `{{prefix}}`
   * are removed even without an entry; placeholders that are valid identifiers (PrestaShop's `PREFIX_`)
   * are kept, and table names keep them.
   */
  readonly replace?: Readonly<Record<string, string>>;
}

const PARSER_DB: Record<Dialect, string> = { postgres: 'PostgresQL', mysql: 'MySQL' };

/* node-sql-parser's AST is untyped where it matters to us: these are the few shapes read below. */
interface ColumnRefAst {
  column: string | { expr: { value: string } };
}
interface ReferenceAst {
  definition: ColumnRefAst[];
  table: Array<{ db: string | null; table: string }>;
}
interface CreateDefinitionAst {
  resource: 'column' | 'constraint' | 'index' | string;
  column?: ColumnRefAst;
  definition?: { dataType?: string; length?: number } | ColumnRefAst[];
  primary_key?: string;
  unique?: string;
  constraint_type?: string;
  reference_definition?: ReferenceAst;
}

function columnName(ref: ColumnRefAst): string {
  return typeof ref.column === 'string' ? ref.column : String(ref.column.expr.value);
}

export function parseDdl(text: string, options: DdlOptions): Schema {
  let script = text.replace(/\{\{[A-Za-z0-9_]+\}\}/g, (m) => options.replace?.[m] ?? '');
  for (const [from, to] of Object.entries(options.replace ?? {})) script = script.split(from).join(to);
  const parser = new Parser();
  const db = PARSER_DB[options.dialect];
  const tables = new Map<string, { name: string; columns: Column[]; primaryKey: string[]; foreignKeys: ForeignKey[] }>();
  const skipped: Schema['skipped'] = [];
  const pendingAlters: Array<{ table: string; defs: CreateDefinitionAst[] }> = [];

  for (const stmt of splitStatements(script)) {
    const head = stmt.slice(0, 80).toUpperCase().replace(/\s+/g, ' ');
    const isCreate = /^CREATE (GLOBAL |LOCAL )?(TEMPORARY |TEMP |UNLOGGED )?TABLE /.test(head);
    const isAlter = /^ALTER TABLE /.test(head);
    if (!isCreate && !isAlter) continue;
    if (isCreate && / AS SELECT | LIKE /.test(stmt.toUpperCase().replace(/\s+/g, ' ').slice(0, 300)) && !stmt.includes('(')) {
      skipped.push({ statement: excerpt(stmt), reason: 'CREATE TABLE ... AS / LIKE: no column definitions to read' });
      continue;
    }
    const ast = astify(parser, stmt, db, isCreate);
    if ('error' in ast) {
      skipped.push({ statement: excerpt(stmt), reason: ast.error });
      continue;
    }
    const node = ast.node as {
      type: string;
      table: Array<{ table: string }>;
      create_definitions?: CreateDefinitionAst[];
      expr?: Array<{ action: string; create_definitions?: CreateDefinitionAst }>;
    };
    const name = node.table?.[0]?.table;
    if (!name) continue;
    if (node.type === 'create') {
      tables.set(name, readCreate(name, node.create_definitions ?? []));
    } else if (node.type === 'alter') {
      const defs = (node.expr ?? [])
        .filter((e) => e.action === 'add' && e.create_definitions)
        .map((e) => e.create_definitions as CreateDefinitionAst);
      pendingAlters.push({ table: name, defs });
    }
  }
  for (const alter of pendingAlters) {
    const t = tables.get(alter.table);
    if (!t) {
      skipped.push({ statement: `ALTER TABLE ${alter.table} ...`, reason: `table ${alter.table} is not created in this DDL` });
      continue;
    }
    for (const def of alter.defs) applyConstraint(t, def);
  }
  return { dialect: options.dialect, tables: [...tables.values()], skipped };
}

function astify(parser: Parser, stmt: string, db: string, isCreate: boolean): { node: unknown } | { error: string } {
  const attempt = (sql: string): { node: unknown } | { error: string } => {
    try {
      const ast = parser.astify(sql, { database: db });
      return { node: Array.isArray(ast) ? ast[0] : ast };
    } catch (e) {
      return { error: firstLine(e instanceof Error ? e.message : String(e)) };
    }
  };
  const first = attempt(stmt);
  if (!('error' in first) || !isCreate) return first;
  // Table options are where dumps put placeholders (ENGINE=ENGINE_TYPE, a bare COLLATION) and vendor
  // options the parser may not know; they carry no relationships, so retry without them.
  const bare = withoutTableOptions(stmt) ?? stmt;
  if (bare !== stmt) {
    const second = attempt(bare);
    if (!('error' in second)) return second;
  }
  // MySQL accepts (and ignores) a name on the primary key, `PRIMARY KEY \`pk\` (...)`, the parser does not.
  const unnamedPk = bare.replace(/PRIMARY\s+KEY\s+(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)\s*\(/gi, 'PRIMARY KEY (');
  if (unnamedPk !== bare) {
    const third = attempt(unnamedPk);
    if (!('error' in third)) return third;
  }
  return first;
}

function readCreate(
  name: string,
  defs: CreateDefinitionAst[],
): { name: string; columns: Column[]; primaryKey: string[]; foreignKeys: ForeignKey[] } {
  const t = { name, columns: [] as Column[], primaryKey: [] as string[], foreignKeys: [] as ForeignKey[] };
  for (const def of defs) {
    if (def.resource === 'column' && def.column) {
      const col = columnName(def.column);
      const d = def.definition as { dataType?: string; length?: number } | undefined;
      t.columns.push({ name: col, type: `${(d?.dataType ?? '').toLowerCase()}${d?.length ? `(${d.length})` : ''}` });
      if (def.primary_key) t.primaryKey = [col];
      if (def.reference_definition) {
        const ref = def.reference_definition;
        t.foreignKeys.push({ columns: [col], refTable: ref.table[0].table, refColumns: ref.definition.map(columnName) });
      }
    } else applyConstraint(t, def);
  }
  return t;
}

function applyConstraint(t: { primaryKey: string[]; foreignKeys: ForeignKey[] }, def: CreateDefinitionAst): void {
  const kind = (def.constraint_type ?? '').toLowerCase();
  const cols = Array.isArray(def.definition) ? (def.definition as ColumnRefAst[]).map(columnName) : [];
  if (kind === 'primary key') t.primaryKey = cols;
  else if (kind === 'foreign key' && def.reference_definition) {
    const ref = def.reference_definition;
    t.foreignKeys.push({ columns: cols, refTable: ref.table[0].table, refColumns: ref.definition.map(columnName) });
  }
}

function excerpt(stmt: string): string {
  const one = stmt.replace(/\s+/g, ' ');
  return one.length > 120 ? `${one.slice(0, 117)}...` : one;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0];
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
