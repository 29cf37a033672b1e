import {
  inferRelationships,
  declaredRelationships,
  parseDdl,
  relationships,
  tablePrefix,
  type Dialect,
  type Schema,
} from '../../../core/boundaries';

/* DDL parsing per dialect, and relationship inference: each rule, with the reason it gives. */

function schemaOf(dialect: Dialect, ddl: string): Schema {
  return parseDdl(ddl, { dialect });
}

function edges(schema: Schema): string[] {
  return relationships(schema).inferred.map((r) => `${r.from}(${r.fromColumns.join(',')})->${r.to}`);
}

describe('Function: parseDdl', () => {
  it('reads a pg_dump: schema-qualified names, inline REFERENCES, table constraints and ALTER TABLE ONLY ... FOREIGN KEY', () => {
    // Prepare
    const ddl = `
      SET statement_timeout = 0;
      -- a comment; with a semicolon
      CREATE TABLE public.customers (id bigint NOT NULL, email text, CONSTRAINT customers_pkey PRIMARY KEY (id));
      CREATE TABLE public.orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES public.customers(id), note text DEFAULT 'a;b');
      CREATE TABLE public.order_items (order_id bigint NOT NULL, line integer NOT NULL, sku text, PRIMARY KEY (order_id, line));
      ALTER TABLE ONLY public.order_items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;
      CREATE INDEX orders_customer ON public.orders (customer_id);
      CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN; RETURN NEW; END $$ LANGUAGE plpgsql;`;
    // Act
    const s = schemaOf('postgres', ddl);
    // Assess
    expect(s.tables.map((t) => t.name)).toEqual(['customers', 'orders', 'order_items']);
    expect(s.tables[2].primaryKey).toEqual(['order_id', 'line']);
    expect(declaredRelationships(s).map((r) => `${r.from}(${r.fromColumns})->${r.to}(${r.toColumns})`)).toEqual([
      'orders(customer_id)->customers(id)',
      'order_items(order_id)->orders(id)',
    ]);
    expect(s.skipped).toEqual([]);
  });

  it('reads a mysqldump-style file: backticks, ENGINE= and placeholder options, versioned comments, a named primary key, PREFIX_ names', () => {
    // Prepare
    const ddl = `/*!40101 SET NAMES utf8 */;
      SET SESSION sql_mode = '';
      # a hash comment
      CREATE TABLE \`PREFIX_customer\` (
        \`id_customer\` int(10) unsigned NOT NULL auto_increment,
        \`email\` varchar(128) NOT NULL,
        PRIMARY KEY (\`id_customer\`)
      ) ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8 COLLATION;
      /* the cart */
      CREATE TABLE \`PREFIX_cart\` (
        \`id_cart\` int(10) unsigned NOT NULL auto_increment,
        \`id_customer\` int(10) unsigned NOT NULL,
        PRIMARY KEY \`cart_pk\` (\`id_cart\`),
        KEY \`cart_customer\` (\`id_customer\`),
        CONSTRAINT \`fk_cart_customer\` FOREIGN KEY (\`id_customer\`) REFERENCES \`PREFIX_customer\` (\`id_customer\`)
      ) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4;
      CREATE TABLE \`PREFIX_cart_product\` (\`id_cart\` int NOT NULL, \`id_product\` int NOT NULL, PRIMARY KEY (\`id_cart\`, \`id_product\`)) ENGINE=ENGINE_TYPE;
      INSERT INTO \`PREFIX_customer\` VALUES (1, 'a;b@example.com');`;
    // Act
    const s = schemaOf('mysql', ddl);
    // Assess
    expect(s.skipped).toEqual([]);
    expect(s.tables.map((t) => [t.name, t.primaryKey])).toEqual([
      ['PREFIX_customer', ['id_customer']],
      ['PREFIX_cart', ['id_cart']],
      ['PREFIX_cart_product', ['id_cart', 'id_product']],
    ]);
    expect(declaredRelationships(s)).toEqual([
      expect.objectContaining({ from: 'PREFIX_cart', to: 'PREFIX_customer', kind: 'declared', confidence: 1 }),
    ]);
    expect(edges(s)).toEqual(['PREFIX_cart_product(id_cart)->PREFIX_cart']);
  });

  it('replaces {{placeholders}} and lists a statement it cannot read with the parser message', () => {
    // Prepare
    const ddl = 'CREATE TABLE {{prefix}}a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, x int CHECK (x >>>> 1));';
    // Act
    const s = schemaOf('postgres', ddl);
    // Assess
    expect(s.tables.map((t) => t.name)).toEqual(['a']);
    expect(s.skipped).toEqual([{ statement: expect.stringContaining('CREATE TABLE b'), reason: expect.stringMatching(/Expected|found/) }]);
  });
});

describe('Function: inferRelationships', () => {
  it.each<[string, Dialect, string, string[], RegExp]>([
    [
      'same key (legacy names, no FKs)',
      'postgres',
      'CREATE TABLE customers (cust_no varchar(10) PRIMARY KEY); CREATE TABLE orders (order_no bigint PRIMARY KEY, cust_no varchar(10));',
      ['orders(cust_no)->customers'],
      /same key: orders.cust_no has the name of customers's primary key/,
    ],
    [
      '<entity>_id to a plural table',
      'postgres',
      'CREATE TABLE customers (id bigint PRIMARY KEY); CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);',
      ['orders(customer_id)->customers'],
      /naming convention: orders.customer_id: <entity>_id names customers/,
    ],
    [
      'id_<entity> with a table prefix',
      'mysql',
      'CREATE TABLE ps_customer (id_customer int PRIMARY KEY); CREATE TABLE ps_orders (id_order int PRIMARY KEY, id_customer int); CREATE TABLE ps_cart (id_cart int PRIMARY KEY, customer int);',
      ['ps_orders(id_customer)->ps_customer'],
      /same key/,
    ],
    [
      'camelCase customerId',
      'postgres',
      'CREATE TABLE "Customer" (id bigint PRIMARY KEY); CREATE TABLE "Invoice" (id bigint PRIMARY KEY, "customerId" bigint);',
      ['Invoice(customerId)->Customer'],
      /<entity>_id names Customer/,
    ],
    [
      'a role word around the entity',
      'mysql',
      'CREATE TABLE address (id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY, billing_address_id int, id_address_delivery int);',
      ['orders(billing_address_id)->address', 'orders(id_address_delivery)->address'],
      /role: orders.billing_address_id: <role>_<entity>_id names address/,
    ],
    [
      'numbered references',
      'mysql',
      'CREATE TABLE product (id_product int PRIMARY KEY); CREATE TABLE accessory (id_product_1 int, id_product_2 int);',
      ['accessory(id_product_1)->product', 'accessory(id_product_2)->product'],
      /naming convention/,
    ],
    [
      'a composite key with a local part',
      'postgres',
      'CREATE TABLE stock (sku text, warehouse_cd text, PRIMARY KEY (sku, warehouse_cd)); CREATE TABLE reservation (id bigint PRIMARY KEY, sku text, warehouse_cd text);',
      ['reservation(sku,warehouse_cd)->stock'],
      /composite key: reservation holds every column of stock's primary key \(sku, warehouse_cd\)/,
    ],
    [
      'a _lang child table',
      'mysql',
      'CREATE TABLE PREFIX_category (id_category int PRIMARY KEY); CREATE TABLE PREFIX_category_lang (id_category int, id_lang int, name text, PRIMARY KEY (id_category, id_lang)); CREATE TABLE PREFIX_lang (id_lang int PRIMARY KEY);',
      ['PREFIX_category_lang(id_category)->PREFIX_category', 'PREFIX_category_lang(id_lang)->PREFIX_lang'],
      /child table \(_lang\) of PREFIX_category/,
    ],
    [
      'a _detail table named after its parent but holding no key',
      'postgres',
      'CREATE TABLE invoice (invoice_ref text PRIMARY KEY); CREATE TABLE invoice_detail (line int PRIMARY KEY, amount int);',
      ['invoice_detail()->invoice'],
      /child table: the name invoice_detail is invoice \+ _detail, but no column holds its key/,
    ],
  ])('%s (%s)', (_title, dialect, ddl, expected, reason) => {
    // Prepare
    const s = schemaOf(dialect, ddl);
    // Act
    const inferred = inferRelationships(s);
    // Assess
    expect(inferred.map((r) => `${r.from}(${r.fromColumns.join(',')})->${r.to}`)).toEqual(expected);
    expect(inferred.map((r) => r.reason).join('\n')).toMatch(reason);
    for (const r of inferred) {
      expect(r.kind).toBe('inferred');
      expect(r.confidence).toBeGreaterThan(0);
      expect(r.confidence).toBeLessThan(1);
    }
  });

  it.each<[string, string]>([
    [
      'generic key names (id, type)',
      'CREATE TABLE a (id int PRIMARY KEY, type text); CREATE TABLE kinds (type text PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);',
    ],
    ['a column naming no table', 'CREATE TABLE orders (id int PRIMARY KEY, tracking_id text);'],
    ['a self-reference', 'CREATE TABLE category (id_category int PRIMARY KEY, id_parent int, category_id int);'],
  ])('infers nothing from %s', (_title, ddl) => {
    const s = schemaOf('postgres', ddl);
    expect(s.skipped).toEqual([]);
    expect(s.tables.length).toBe(ddl.split('CREATE TABLE').length - 1);
    expect(inferRelationships(s)).toEqual([]);
  });

  it('does not infer what a declared key already says', () => {
    // Prepare
    const s = schemaOf(
      'postgres',
      'CREATE TABLE customers (customer_id int PRIMARY KEY); CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers (customer_id));',
    );
    // Act / Assess
    expect(relationships(s).declared).toHaveLength(1);
    expect(relationships(s).inferred).toEqual([]);
  });
});

describe('Function: tablePrefix', () => {
  it.each([
    [['ps_a', 'ps_b', 'ps_c_d', 'ps_e'], 'ps_'],
    [['orders', 'order_lines', 'customers'], ''],
    [['a_x', 'b_y'], ''],
  ])('%j -> %j', (names, expected) => {
    expect(tablePrefix(names)).toBe(expected);
  });
});
