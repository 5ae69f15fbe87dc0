SHOW DATABASES
----
show schemas like 'db%'
----
SHOW DATABASES WHERE `Database` = 'x'
----
SHOW TABLES
----
SHOW FULL TABLES FROM db1 LIKE 't\_%'
----
show tables in default_catalog.db1 where Table_type = 'BASE TABLE'
----
SHOW CREATE TABLE db1.t1
----
SHOW CREATE VIEW v1
----
SHOW CREATE MATERIALIZED VIEW mv1
----
SHOW CREATE DATABASE db1
----
show create schema `db1`
----
SHOW COLUMNS FROM t1
----
SHOW FULL FIELDS IN t1 FROM db1 LIKE 'k%'
----
SHOW COLUMNS FROM db0.t1 IN db1
----
DESC t1
----
describe db1.t1 all
----
SHOW PARTITIONS FROM t1
----
SHOW TEMPORARY PARTITIONS FROM db1.t1 WHERE PartitionName = 'p1' ORDER BY PartitionId LIMIT 1
----
SHOW TABLET FROM t1
----
SHOW TABLET FROM db1.t1 PARTITION (p1, p2)
----
SHOW TABLET FROM t1 PARTITION p1
----
SHOW TABLET 10012
----
SHOW BACKENDS
----
show frontends
----
SHOW VARIABLES
----
SHOW GLOBAL VARIABLES LIKE 'version%'
----
SHOW LOCAL VARIABLES WHERE Variable_name = 'autocommit' OR Variable_name LIKE 'x%'
----
SHOW SESSION STATUS
----
SHOW GLOBAL STATUS LIKE 'Uptime'
----
SHOW WARNINGS
----
SHOW WARNINGS LIMIT 10
----
SHOW ERRORS
----
SHOW PROCESSLIST
----
SHOW FULL PROCESSLIST
----
SHOW ENGINES
----
SHOW CHARSET
----
SHOW CHARACTER SET LIKE 'utf8%'
----
SHOW COLLATION
----
SHOW COLLATION WHERE Charset = 'utf8mb4'
----
SHOW TABLE STATUS FROM d1 LIKE 't%'
----
SHOW DATA
----
show data from d1.t1
