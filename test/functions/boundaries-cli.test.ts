import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { boundariesCommand, type BoundariesCommandOptions } from '../../cli/commands/boundaries';

/* `cutover boundaries` end to end over files: outputs, and refusals that name the option and the value. */

const ROOT = path.join(__dirname, '..', '..');

async function run(opts: BoundariesCommandOptions): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await boundariesCommand(opts, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: ROOT });
  return { code, out: out.join(''), err: err.join('') };
}

describe('Function: boundariesCommand', () => {
  it('prints JSON with the candidates, writes the HTML page, and reads a MySQL DDL with a general log', async () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-boundaries-'));
    const log = path.join(dir, 'general.log');
    fs.writeFileSync(
      log,
      [
        '2026-12-06T02:00:00.000000Z\t   7 Query\tBEGIN',
        "2026-12-06T02:00:00.100000Z\t   7 Query\tINSERT INTO payments (payment_id, order_no) VALUES ('P1', 1)",
        "2026-12-06T02:00:00.200000Z\t   7 Query\tUPDATE orders SET status = 'C' WHERE order_no = 1",
        '2026-12-06T02:00:00.300000Z\t   7 Query\tCOMMIT',
        '',
      ].join('\n'),
    );
    const html = path.join(dir, 'b.html');
    try {
      // Act
      const r = await run({ ddl: ['monolith/schema/mysql.sql'], dialect: 'mysql', log: [log], format: 'json', html });
      // Assess
      expect(r.code).toBe(0);
      const json = JSON.parse(r.out) as {
        candidates: Array<{ name: string; tables: string[] }>;
        workload: { transactions: number; calls: number };
      };
      expect(json.candidates.flatMap((c) => c.tables).sort()).toEqual([
        'customers',
        'order_lines',
        'orders',
        'payments',
        'products',
        'shipments',
        'stock',
      ]);
      expect(json.workload).toEqual(expect.objectContaining({ transactions: 1, calls: 2 }));
      expect(fs.readFileSync(html, 'utf8')).toContain('<svg');
      expect(r.err).toContain(`wrote ${html}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, BoundariesCommandOptions, RegExp]>([
    ['no schema', {}, /give the schema with either --source <url> or --ddl <file\.\.\.>/],
    ['a bad pin', { ddl: ['monolith/schema/postgres.sql'], pin: ['orders'] }, /--pin "orders": expected table=service/],
    [
      'a pin naming no table',
      { ddl: ['monolith/schema/postgres.sql'], pin: ['order=orders'] },
      /--pin order=orders: no table "order" in the schema/,
    ],
    ['an unknown format', { ddl: ['monolith/schema/postgres.sql'], format: 'dot' }, /--format must be text, json or mermaid, got "dot"/],
    ['a missing DDL file', { ddl: ['nope.sql'] }, /DDL file .*nope\.sql: cannot be read/],
    [
      '--stats without --source',
      { ddl: ['monolith/schema/postgres.sql'], stats: true },
      /--stats reads pg_stat_statements or performance_schema from --source/,
    ],
    ['a bad log line', { ddl: ['monolith/schema/postgres.sql'], log: ['package.json'], logFormat: 'jsonl' }, /package\.json:1: not JSON/],
  ])('refuses %s with exit code 2 and a message naming it', async (_title, opts, message) => {
    // Act
    const r = await run(opts);
    // Assess
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
