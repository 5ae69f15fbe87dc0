SET autocommit = 1
----
SET SESSION sql_mode = 'STRICT_TRANS_TABLES'
----
set global query_timeout = 300, exec_mem_limit = 2147483648
----
SET GLOBAL a = 1, SESSION b = 2, c = 3
----
SET LOCAL x := -1
----
SET @@session.time_zone = '+08:00'
----
SET @@global.enable_profile = true
----
SET @@autocommit = 0, @@GLOBAL.b = 1.5
----
SET @my_var = 'hello', @`odd var` = NULL
----
SET sql_mode = concat(@@sql_mode, ',STRICT_TRANS_TABLES')
----
SET character_set_results = NULL
----
SET x = ON, y = off, z = DEFAULT, w = utf8
----
SET x = 1 + 2, y = (3, 4), z = now()
----
SET time_zone = "Asia/Shanghai"
----
SET NAMES utf8mb4
----
set names 'utf8mb4' collate 'utf8mb4_general_ci'
----
SET NAMES DEFAULT
----
SET CHARACTER SET utf8
----
SET CHARSET DEFAULT
----
SET PASSWORD = PASSWORD('secret')
----
SET PASSWORD FOR 'jack'@'%' = PASSWORD('p@ss\'word')
----
SET PASSWORD FOR jack = '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'
----
SET PASSWORD FOR 'admin'@'192.168.%' = "*ABC"
----
SET names = 'x'
----
SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED
----
set transaction read only
----
SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE
