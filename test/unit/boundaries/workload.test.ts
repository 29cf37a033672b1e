import { csvlogSamples, jsonlSamples, mysqlGeneralLogSamples, parseDdl, readWorkload, StatementReader } from '../../../core/boundaries';

/* Access patterns: statements to tables, transactions, and the three query log formats. */

const schema = parseDdl(
  'CREATE TABLE orders (order_no int PRIMARY KEY, cust_no text); CREATE TABLE customers (cust_no text PRIMARY KEY); CREATE TABLE payments (payment_id text PRIMARY KEY, order_no int);',
  { dialect: 'postgres' },
);

describe('Class: StatementReader', () => {
  describe('Method: read', () => {
    it.each([
      ['SELECT o.* FROM orders o JOIN customers c ON c.cust_no = o.cust_no WHERE o.order_no = $1', ['customers', 'orders'], []],
      ['SELECT * FROM orders WHERE order_no IN (...) AND cust_no = ?', ['orders'], []],
      [
        'INSERT INTO payments (payment_id, order_no) SELECT ?, order_no FROM orders WHERE order_no = ?',
        ['orders', 'payments'],
        ['payments'],
      ],
      ['UPDATE ORDERS SET cust_no = $1 WHERE order_no = $2', ['orders'], ['orders']],
      ['DELETE FROM payments WHERE order_no = 1', ['payments'], ['payments']],
      ['SELECT 1 FROM customers WHERE cust_no = $1', ['customers'], []],
    ])('%s', (sql, tables, writes) => {
      // Act
      const access = new StatementReader('postgres', schema).read(sql);
      // Assess
      expect(access).toEqual({ tables, writes });
    });

    it('reads performance_schema digest text in the MySQL dialect (backticks, ?, elided lists)', () => {
      // Act
      const access = new StatementReader('mysql', schema).read(
        'SELECT `o` . `order_no` FROM `orders` `o` JOIN `payments` `p` ON `p` . `order_no` = `o` . `order_no` WHERE `o` . `cust_no` IN (...) AND `p` . `payment_id` = ?',
      );
      // Assess
      expect(access).toEqual({ tables: ['orders', 'payments'], writes: [] });
    });

    it('passes over control statements and keeps an unreadable one with the parser message', () => {
      // Prepare
      const reader = new StatementReader('postgres', schema);
      // Act / Assess
      expect(reader.read('BEGIN')).toBeNull();
      expect(reader.read("SET search_path TO 'x'")).toBeNull();
      expect(reader.read('SELEC oops FROM')).toEqual({ error: expect.any(String) });
    });

    it('collects tables that are not in the schema', () => {
      // Prepare
      const reader = new StatementReader('postgres', schema);
      // Act
      reader.read('SELECT * FROM orders JOIN audit_trail a ON true');
      // Assess
      expect([...reader.unknown]).toEqual(['audit_trail']);
    });
  });
});

describe('Function: readWorkload', () => {
  it('groups statements by txid, counts a transaction by its first statement, folds equal shapes and keeps unparsed calls', () => {
    // Prepare
    const samples = [
      { txid: '1', sql: 'SELECT * FROM orders WHERE order_no = $1', calls: 10 },
      { txid: '1', sql: 'INSERT INTO payments (payment_id, order_no) VALUES ($1, $2)', calls: 30 },
      { txid: '2', sql: 'SELECT * FROM orders WHERE order_no = $1', calls: 5 },
      { txid: '2', sql: 'INSERT INTO payments (payment_id, order_no) VALUES ($1, $2)', calls: 5 },
      { sql: 'SELECT * FROM customers', calls: 7 },
      { sql: 'SELEC broken', calls: 3 },
      { txid: '9', sql: 'COMMIT', calls: 100 },
    ];
    // Act
    const w = readWorkload(samples, schema);
    // Assess
    expect(w.transactions).toEqual([
      { txid: '1', calls: 15, tables: ['orders', 'payments'], writes: ['payments'], statements: 2 },
      { txid: 'statement 0', calls: 7, tables: ['customers'], writes: [], statements: 1 },
    ]);
    expect(w.unparsed).toEqual([{ sql: 'SELEC broken', calls: 3, reason: expect.any(String) }]);
    expect(w.totalCalls).toBe(60);
  });

  it('refuses a negative call count naming the value', () => {
    expect(() => readWorkload([{ sql: 'SELECT 1 FROM orders', calls: -1 }], schema)).toThrow(/calls must be a number >= 0, got -1/);
  });
});

describe('Function: jsonlSamples', () => {
  it('reads {txid, sql, calls} lines, calls defaulting to 1, blank lines skipped', () => {
    expect([...jsonlSamples(['{"txid":7,"sql":"SELECT 1","calls":3}', '', '{"sql":"SELECT 2"}'])]).toEqual([
      { txid: '7', sql: 'SELECT 1', calls: 3 },
      { txid: undefined, sql: 'SELECT 2', calls: 1 },
    ]);
  });

  it.each([
    ['not json', /w.jsonl:1: not JSON/],
    ['{"sql": 5}', /w.jsonl:1: field sql must be a string, got 5/],
    ['{"sql": "x", "calls": "many"}', /w.jsonl:1: field calls must be a number >= 0, got "many"/],
  ])('refuses %s naming the line, the field and the value', (line, message) => {
    expect(() => [...jsonlSamples([line], 'w.jsonl')]).toThrow(message);
  });
});

describe('Function: csvlogSamples', () => {
  it('reads statements with their virtual transaction id, quoted newlines and commas included', () => {
    // Prepare: columns as PostgreSQL writes them (session id is 6th, vxid 10th, message 14th).
    const row = (session: string, vxid: string, message: string): string =>
      [
        '2026-12-06 02:00:00.000 UTC',
        'app',
        'shop',
        '42',
        '127.0.0.1:5000',
        session,
        '1',
        'SELECT',
        '2026-12-06 01:00:00 UTC',
        vxid,
        '0',
        'LOG',
        '00000',
        `"${message.replace(/"/g, '""')}"`,
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        'psql',
      ].join(',');
    const text = [
      row('s1', '3/10', 'statement: SELECT *\nFROM orders, customers'),
      row('s1', '3/10', "duration: 0.120 ms  statement: UPDATE orders SET cust_no = 'a,b'"),
      row('s1', '3/0', 'connection authorized: user=app'),
      row('s2', '4/0', 'execute <unnamed>: SELECT 1'),
    ].join('\n');
    // Act
    const samples = [...csvlogSamples(text)];
    // Assess
    expect(samples).toEqual([
      { sql: 'SELECT *\nFROM orders, customers', calls: 1, txid: 's1:3/10' },
      { sql: "UPDATE orders SET cust_no = 'a,b'", calls: 1, txid: 's1:3/10' },
      { sql: 'SELECT 1', calls: 1, txid: undefined },
    ]);
  });
});

describe('Function: mysqlGeneralLogSamples', () => {
  it('groups a connection’s statements between START TRANSACTION and COMMIT, with continuation lines', () => {
    // Prepare
    const log = [
      '/usr/sbin/mariadbd, Version: 10.11 (MariaDB). started with:',
      'Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock',
      'Time\t\t    Id Command\tArgument',
      '2026-12-06T02:00:00.000000Z\t   12 Connect\tapp@localhost on shop',
      '2026-12-06T02:00:00.100000Z\t   12 Query\tSTART TRANSACTION',
      '2026-12-06T02:00:00.200000Z\t   12 Query\tSELECT * FROM orders',
      'WHERE order_no = 1',
      '2026-12-06T02:00:00.250000Z\t   13 Query\tSELECT * FROM customers',
      '2026-12-06T02:00:00.300000Z\t   12 Query\tINSERT INTO payments VALUES (1, 2)',
      '2026-12-06T02:00:00.400000Z\t   12 Query\tCOMMIT',
      '2026-12-06T02:00:00.500000Z\t   12 Query\tSELECT 1 FROM orders',
    ].join('\n');
    // Act
    const samples = [...mysqlGeneralLogSamples(log)];
    // Assess
    expect(samples).toEqual([
      { sql: 'SELECT * FROM orders\nWHERE order_no = 1', calls: 1, txid: '12:1' },
      { sql: 'SELECT * FROM customers', calls: 1, txid: undefined },
      { sql: 'INSERT INTO payments VALUES (1, 2)', calls: 1, txid: '12:1' },
      { sql: 'SELECT 1 FROM orders', calls: 1, txid: undefined },
    ]);
  });
});
