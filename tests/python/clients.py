"""Python MySQL clients against a running Starling FE.

Usage: clients.py <query_port>. Exits non-zero on the first failed check.
"""
import sys

import pymysql
import sqlalchemy
from sqlalchemy import inspect

port = int(sys.argv[1])

conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="", autocommit=True)
with conn.cursor() as cur:
    cur.execute("CREATE DATABASE py")
    cur.execute("USE py")
    cur.execute(
        "CREATE TABLE orders (id BIGINT NOT NULL, dt DATE, amount DECIMAL(10, 2), note VARCHAR(64)) "
        "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2"
    )
    cur.execute("SELECT DATABASE(), CONNECTION_ID()")
    db, conn_id = cur.fetchone()
    assert db == "py", db
    assert isinstance(conn_id, int), conn_id
    cur.execute("SHOW TABLES")
    assert cur.fetchall() == (("orders",),)
    try:
        cur.execute("DROP TABLE missing")
        raise AssertionError("DROP TABLE missing must fail")
    except pymysql.err.MySQLError as e:
        assert e.args[0] == 5502, e.args
        assert e.args[1] == "Getting analyzing error. Detail message: Unknown table 'py.missing'.", e.args
conn.close()

engine = sqlalchemy.create_engine(f"mysql+pymysql://root:@127.0.0.1:{port}/py")
insp = inspect(engine)
tables = insp.get_table_names()
assert tables == ["orders"], tables
columns = {c["name"]: c for c in insp.get_columns("orders")}
assert list(columns) == ["id", "dt", "amount", "note"], list(columns)
assert str(columns["id"]["type"]).startswith("BIGINT"), columns["id"]["type"]
assert str(columns["amount"]["type"]) == "DECIMAL(10, 2)", columns["amount"]["type"]
assert str(columns["note"]["type"]).startswith("VARCHAR(64)"), columns["note"]["type"]
assert columns["id"]["nullable"] is False
assert columns["dt"]["nullable"] is True
with engine.connect() as c:
    assert c.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
    c.execute(sqlalchemy.text("INSERT INTO orders VALUES (1, '2024-01-02', 10.50, 'first'), (2, NULL, NULL, NULL)"))
    rows = c.execute(sqlalchemy.text("SELECT id, dt, amount, note FROM orders ORDER BY id")).fetchall()
    import datetime, decimal
    assert rows[0] == (1, datetime.date(2024, 1, 2), decimal.Decimal("10.50"), "first"), rows
    assert rows[1] == (2, None, None, None), rows
print("python clients ok")
