CREATE TABLE t1 (k1 INT, v1 VARCHAR(10))
----
CREATE TABLE IF NOT EXISTS db1.sales (
    id BIGINT NOT NULL COMMENT "order id",
    `date` DATE NOT NULL,
    name VARCHAR(64) NULL DEFAULT "",
    comment STRING,
    status TINYINT(4) DEFAULT '0',
    value DECIMAL(27, 9) DEFAULT "0.0",
    type CHAR(8),
    created DATETIME DEFAULT CURRENT_TIMESTAMP,
    flag BOOLEAN,
    score DOUBLE,
    ratio FLOAT,
    big LARGEINT,
    small SMALLINT,
    doc JSON
) ENGINE = OLAP
DUPLICATE KEY (id, `date`)
COMMENT "sales facts"
PARTITION BY RANGE (`date`) (
    PARTITION p202001 VALUES LESS THAN ("2020-02-01"),
    PARTITION p202002 VALUES LESS THAN ('2020-03-01') ("storage_medium" = "SSD"),
    PARTITION pmax VALUES LESS THAN MAXVALUE
)
DISTRIBUTED BY HASH (id) BUCKETS 8
PROPERTIES (
    "replication_num" = "1",
    "storage_format" = "DEFAULT"
);
----
-- Primary key model with ORDER BY and auto increment
CREATE TABLE users (
    user_id BIGINT NOT NULL AUTO_INCREMENT,
    email VARCHAR NOT NULL,
    city VARCHAR(65533),
    note TEXT,
    bal DECIMAL64(18, 4),
    d2 decimal,
    d3 NUMERIC(9),
    d4 DECIMALV3(38, 38),
    ts TIMESTAMP,
    ok BOOL,
    n INTEGER(11),
    c CHAR
)
PRIMARY KEY (user_id)
DISTRIBUTED BY HASH (user_id)
ORDER BY (city, email)
PROPERTIES ("enable_persistent_index" = "true")
----
CREATE TABLE agg (
    k1 DATE,
    k2 INT,
    v_sum BIGINT SUM DEFAULT "0",
    v_max INT MAX,
    v_min INT MIN NULL,
    v_rep VARCHAR(20) REPLACE,
    v_rep2 VARCHAR(20) REPLACE_IF_NOT_NULL NULL
)
AGGREGATE KEY (k1, k2)
DISTRIBUTED BY HASH (k1, k2) BUCKETS 10
----
CREATE TABLE u (k INT, v INT) UNIQUE KEY (k) DISTRIBUTED BY RANDOM BUCKETS 3
----
CREATE TABLE r (k INT) DUPLICATE KEY (k) DISTRIBUTED BY RANDOM
----
CREATE TABLE fixed (
    k1 DATE,
    k2 INT
)
DUPLICATE KEY (k1, k2)
PARTITION BY RANGE (k1, k2) (
    PARTITION p1 VALUES [("2020-01-01", "-100"), ("2020-02-01", 100)),
    PARTITION IF NOT EXISTS p2 VALUES [("2020-02-01", 100), (MAXVALUE, MAXVALUE))
)
DISTRIBUTED BY HASH (k2) BUCKETS 1
----
CREATE TABLE e (k INT) PARTITION BY RANGE (k) () DISTRIBUTED BY HASH (k)
----
CREATE TABLE l (k INT, city VARCHAR(20))
DUPLICATE KEY (k)
PARTITION BY LIST (city) (
    PARTITION p_cn VALUES IN ("Beijing", "Shanghai"),
    PARTITION p_us VALUES IN ("New York")
)
DISTRIBUTED BY HASH (k)
----
CREATE TABLE ex (k INT, dt DATETIME)
PARTITION BY date_trunc('day', dt)
DISTRIBUTED BY HASH (k)
----
CREATE TABLE ex2 (k INT, dt DATETIME) PARTITION BY (k, dt)
----
CREATE TABLE d (
    id VARCHAR(36) DEFAULT (uuid()),
    n INT DEFAULT -1,
    m DOUBLE DEFAULT 1.5,
    z INT NULL DEFAULT NULL
)
----
CREATE EXTERNAL TABLE mysql_t (k INT) ENGINE = mysql PROPERTIES ("host" = "127.0.0.1")
----
create table `Weird``Name` (`select` int not null comment 'it''s "quoted"', `c-1` int key) engine=olap
----
CREATE TABLE c.db.t (k INT)
----
DROP TABLE t1
----
DROP TABLE IF EXISTS db1.t1 FORCE
----
TRUNCATE TABLE t1
----
TRUNCATE TABLE db1.t1 PARTITION (p1, p2)
----
TRUNCATE TABLE t1 PARTITION p1
----
ALTER TABLE t1 ADD PARTITION p3 VALUES LESS THAN ("2020-04-01")
----
ALTER TABLE db1.t1 ADD PARTITION IF NOT EXISTS p4 VALUES [("2020-04-01"), ("2020-05-01")) ("replication_num" = "1") DISTRIBUTED BY HASH (k) BUCKETS 4
----
ALTER TABLE t1 DROP PARTITION p1
----
ALTER TABLE t1 DROP PARTITION IF EXISTS p1 FORCE
----
ALTER TABLE t1 RENAME t2
