-- The reference monolith ("shop"): the tables the data migration reads, as an old e-commerce system
-- keeps them. Legacy habits on purpose: money in integer cents, business timestamps as CHAR(15)
-- 'YYYYMMDD HHMMSS' in UTC, flags as 'Y'/'N', codes as single letters, '' for "not given". Referential
-- integrity lives in the application code, as it often did; the indexes the application needs exist.
-- MySQL/MariaDB flavour: DATETIME (no time zone conversion) and a binary collation, so keys sort and
-- compare byte-wise as in PostgreSQL's C collation and keyset pagination sees the same order.
-- {{prefix}} is replaced by a table name prefix ('' in production, a unique one per test run).

CREATE TABLE {{prefix}}customers (
  cust_no          VARCHAR(10)  NOT NULL PRIMARY KEY,
  email            VARCHAR(120) NOT NULL,
  first_name       VARCHAR(60)  NOT NULL,
  last_name        VARCHAR(60)  NOT NULL,
  phone            VARCHAR(20)  NOT NULL DEFAULT '',
  marketing_opt_in CHAR(1)      NOT NULL DEFAULT 'N',
  tier             VARCHAR(10)  NOT NULL DEFAULT 'STANDARD',
  created_dt       CHAR(15)     NOT NULL,
  updated_at       DATETIME     NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE {{prefix}}products (
  sku         VARCHAR(8)   NOT NULL PRIMARY KEY,
  name        VARCHAR(120) NOT NULL,
  price_cents BIGINT       NOT NULL,
  weight_kg   DOUBLE,
  active      CHAR(1)      NOT NULL DEFAULT 'Y',
  updated_at  DATETIME     NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE {{prefix}}stock (
  sku          VARCHAR(8) NOT NULL,
  warehouse_cd CHAR(4)    NOT NULL,
  on_hand      INTEGER    NOT NULL,
  reserved     INTEGER    NOT NULL,
  updated_at   DATETIME   NOT NULL,
  PRIMARY KEY (sku, warehouse_cd)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE {{prefix}}orders (
  order_no     BIGINT      NOT NULL PRIMARY KEY,
  cust_no      VARCHAR(10) NOT NULL,
  order_dt     CHAR(15)    NOT NULL,
  status       CHAR(1)     NOT NULL,
  total_cents  BIGINT      NOT NULL,
  currency     CHAR(3)     NOT NULL,
  channel      VARCHAR(5)  NOT NULL,
  coupon_code  VARCHAR(12) NOT NULL DEFAULT '',
  ship_street  VARCHAR(80) NOT NULL,
  ship_city    VARCHAR(40) NOT NULL,
  ship_zip     VARCHAR(10) NOT NULL,
  ship_country CHAR(2)     NOT NULL,
  updated_at   DATETIME    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX {{prefix}}orders_cust ON {{prefix}}orders (cust_no);
CREATE INDEX {{prefix}}orders_updated ON {{prefix}}orders (updated_at);

CREATE TABLE {{prefix}}order_lines (
  order_no         BIGINT     NOT NULL,
  line_no          INTEGER    NOT NULL,
  sku              VARCHAR(8) NOT NULL,
  qty              INTEGER    NOT NULL,
  unit_price_cents BIGINT     NOT NULL,
  PRIMARY KEY (order_no, line_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE {{prefix}}payments (
  payment_id   VARCHAR(16) NOT NULL PRIMARY KEY,
  order_no     BIGINT      NOT NULL,
  amount_cents BIGINT      NOT NULL,
  currency     CHAR(3)     NOT NULL,
  method       VARCHAR(8)  NOT NULL,
  captured_dt  CHAR(15)    NOT NULL,
  updated_at   DATETIME    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX {{prefix}}payments_order ON {{prefix}}payments (order_no);

CREATE TABLE {{prefix}}shipments (
  shipment_id VARCHAR(16) NOT NULL PRIMARY KEY,
  order_no    BIGINT      NOT NULL,
  carrier_cd  VARCHAR(4)  NOT NULL,
  tracking_no VARCHAR(40) NOT NULL DEFAULT '',
  parcels     INTEGER     NOT NULL,
  dispatch_dt CHAR(15)    NOT NULL,
  updated_at  DATETIME    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX {{prefix}}shipments_order ON {{prefix}}shipments (order_no);
