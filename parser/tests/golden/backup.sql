CREATE REPOSITORY oss_repo WITH BROKER ON LOCATION "s3a://bucket/backup/"
PROPERTIES ("aws.s3.access_key" = "ak", "aws.s3.secret_key" = "sk", "aws.s3.endpoint" = "https://s3.example.com")
----
create read only repository `repo` with broker hdfs_broker on location 'hdfs://nn:9000/sr'
properties ("username" = "u", "password" = "p")
----
CREATE REPOSITORY r WITH BROKER "my broker" ON LOCATION "hdfs://x"
----
DROP REPOSITORY oss_repo
----
SHOW REPOSITORIES
----
show repositories where name = 'r' order by name limit 1
----
BACKUP SNAPSHOT sr_hub.sr_member_backup TO test_repo
ON (sr_member)
PROPERTIES ("type" = "full")
----
backup snapshot db1.label1 to repo on (t1 partition (p1, p2), t2 partitions p3, t3 temporary partition (tp1))
----
BACKUP SNAPSHOT label_only TO repo
----
BACKUP DATABASE sr_hub SNAPSHOT sr_hub_backup TO test_repo
----
BACKUP DATABASE sr_hub SNAPSHOT mv_backup TO test_repo
ON (MATERIALIZED VIEW sr_mv1, MATERIALIZED VIEWS sr_mv2, ALL MATERIALIZED VIEWS)
----
Backup Database d Snapshot s To r On (All Tables, All Views, All Functions, Table t1, Tables t2 Partition (p1), View v1, Views v2, Function f1, Functions d.f2)
----
BACKUP DATABASE d SNAPSHOT s TO r ON (ALL TABLE, ALL VIEW, ALL FUNCTION, ALL MATERIALIZED VIEW)
----
BACKUP SNAPSHOT d.s TO r ON (cat.d.t, tables, `view`, snapshot, location) PROPERTIES ("timeout" = "3600", "ttl" = "7 DAY")
----
BACKUP ALL EXTERNAL CATALOGS SNAPSHOT cat_backup TO test_repo
----
BACKUP EXTERNAL CATALOGS (iceberg, hive) SNAPSHOT cat_backup TO test_repo
----
backup external catalog (`my-catalog`) snapshot s to r properties ("type" = "full")
----
RESTORE SNAPSHOT sr_hub.sr_member_backup FROM test_repo
ON (sr_member)
PROPERTIES ("backup_timestamp" = "2024-12-09-10-25-58-842")
----
RESTORE SNAPSHOT db.s FROM r ON (t1 PARTITION (p1) AS t1_new, t2 AS t2_new, t3 TEMPORARY PARTITIONS p9)
PROPERTIES ("backup_timestamp" = "2024-01-01-00-00-00-000", "replication_num" = "1")
----
RESTORE SNAPSHOT sr_hub_backup FROM test_repo DATABASE sr_hub AS sr_hub_new
PROPERTIES ("backup_timestamp" = "2024-12-09-10-52-10-940")
----
RESTORE SNAPSHOT s FROM r DATABASE d
ON (TABLE t AS t2, VIEW v AS v2, MATERIALIZED VIEW mv AS mv2, FUNCTION f AS f2, ALL FUNCTIONS)
----
RESTORE SNAPSHOT s FROM r
----
restore snapshot s from r all external catalogs properties ("backup_timestamp" = "x")
----
RESTORE SNAPSHOT s FROM r EXTERNAL CATALOGS (iceberg AS iceberg_new, hive) PROPERTIES ("backup_timestamp" = "x")
----
SHOW BACKUP
----
show backup from sr_hub
----
SHOW BACKUP IN d WHERE state = 'FINISHED' ORDER BY CreateTime DESC LIMIT 1
----
SHOW RESTORE
----
SHOW RESTORE FROM sr_hub WHERE Label = 'x'
----
SHOW JOBS
----
show jobs from sr_hub where State = 'FINISHED' order by CreateTime desc limit 5
----
SHOW JOBS LIMIT 1
----
CANCEL BACKUP FROM sr_hub
----
cancel restore in d
----
CANCEL BACKUP FOR EXTERNAL CATALOG
----
CANCEL RESTORE FOR EXTERNAL CATALOG
----
SHOW SNAPSHOT ON oss_repo
----
SHOW SNAPSHOT ON oss_repo WHERE SNAPSHOT = 'sr_member_backup' AND TIMESTAMP = '2023-05-19-09-26-16-873'
----
show snapshot on r where snapshot = 'a' order by snapshot limit 2
----
DROP SNAPSHOT sr_member_backup ON test_repo
----
drop snapshot s on r force
----
CREATE TABLE snapshot (location INT, repository INT) DUPLICATE KEY (location)
----
-- error
CANCEL BACKUP
----
-- error
cancel restore
----
-- error
BACKUP DATABASE d SNAPSHOT d.s TO r
----
-- error
RESTORE SNAPSHOT d.s FROM r DATABASE d
----
-- error
BACKUP SNAPSHOT d.s TO r ON (t AS t2)
----
-- error
BACKUP DATABASE d SNAPSHOT s TO r ON (FUNCTION f AS g)
----
-- error
BACKUP ALL EXTERNAL CATALOGS DATABASE d SNAPSHOT s TO r
----
-- error
BACKUP EXTERNAL CATALOGS (c) SNAPSHOT d.s TO r
----
-- error
RESTORE SNAPSHOT s FROM r ALL EXTERNAL CATALOGS DATABASE d
----
-- error
BACKUP ALL EXTERNAL CATALOGS SNAPSHOT s TO r ON (ALL TABLES)
----
-- error
RESTORE SNAPSHOT s FROM r EXTERNAL CATALOG (c) ON (t)
----
-- error
RESTORE SNAPSHOT s FROM r ON (t)
----
-- error
BACKUP SNAPSHOT a.b.c TO r
----
-- error
RESTORE SNAPSHOT c.d.s FROM r
----
-- error
BACKUP SNAPSHOT d.s TO r PROPERTIES ()
----
-- error
BACKUP SNAPSHOT d.s TO r ON ()
----
-- error
CANCEL BACKUP FROM
----
-- error
CANCEL BACKUP d
----
-- error
BACKUP DATABASE d SNAPSHOT d.s TO r garbage
----
-- error
CREATE REPOSITORY r WITH BROKER ON LOCATION
----
-- error
CREATE REPOSITORY r ON LOCATION "x"
----
-- error
BACKUP EXTERNAL CATALOGS (c AS d) SNAPSHOT s TO r
----
-- error
SHOW SNAPSHOT oss_repo
----
-- error
DROP SNAPSHOT s
----
-- error
RESTORE SNAPSHOT d.s TO r
----
PAUSE RESTORE FROM sr_hub
----
resume backup in `my db`
----
-- error
PAUSE RESTORE
----
-- error
RESUME JOBS FROM d
----
PAUSE JOB 12345
----
cancel job 7
----
-- error
RESUME JOB x
