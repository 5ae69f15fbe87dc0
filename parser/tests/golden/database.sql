CREATE DATABASE db1
----
create database if not exists `my db`
----
CREATE SCHEMA IF NOT EXISTS default_catalog.sales PROPERTIES ("replication_num" = "1", 'storage_medium' = 'SSD')
----
CREATE DATABASE d2 DEFAULT CHARSET = utf8mb4
----
DROP DATABASE db1
----
drop schema if exists db1 force
----
USE db1
----
use default_catalog.`db-2`;
----
-- a leading comment, then two statements
USE a; /* inline ; comment */ DROP DATABASE IF EXISTS b;
----
CREATE DATABASE `select`
