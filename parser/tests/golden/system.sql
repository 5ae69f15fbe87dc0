ALTER SYSTEM ADD BACKEND "127.0.0.1:9050"
----
alter system add backend '10.0.0.1:9050', "10.0.0.2:9050"
----
ALTER SYSTEM DROP BACKEND "127.0.0.1:9050"
----
ALTER SYSTEM DROPP BACKEND "h1:9050", "h2:9050"
----
KILL 42
----
kill query 7
----
KILL CONNECTION 18446744073709551615
----
BEGIN
----
begin work
----
START TRANSACTION
----
COMMIT
----
commit work
----
ROLLBACK
----
rollback work
----
SELECT 1
----
  select * from t where a = ';' ;
----
WITH x AS (SELECT 1) SELECT * FROM x
----
(SELECT 1) UNION ALL (SELECT 2)
----
VALUES (1, 2)
----
/* comment */ SELECT @@max_allowed_packet, @@wait_timeout, @@socket -- trailing
----
select 1; select 'a;b'; BEGIN
----
INSERT INTO t WITH LABEL l1 (a, b) VALUES (1, 'x')
----
delete from t where id = 1
----
ADMIN SET FRONTEND CONFIG ("max_download_task_per_be" = "4")
----
admin show frontend config like '%task%'
----
ADMIN SHOW FRONTEND CONFIG
----
UPDATE information_schema.be_configs SET value = '1048576' WHERE name = 'download_rate_limit_bytes_per_second'
