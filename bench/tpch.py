#!/usr/bin/env python3
"""TPC-H load and query benchmark: Starling against DuckDB, measured in the same run.

Generates TPC-H data with tpchgen-cli, starts a standalone Starling (release
build) in a temporary directory, loads all eight tables with Stream Load, runs
Q1, Q6 and COUNT(*) on lineitem, does the same in DuckDB (read_csv import and
the same queries), checks both give the same answers, and prints times and
ratios. Run: python3 bench/tpch.py [--sf 1]
"""
import argparse
import decimal
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SCHEMA = {
    "region": ["r_regionkey INT NOT NULL", "r_name VARCHAR(25)", "r_comment VARCHAR(152)"],
    "nation": ["n_nationkey INT NOT NULL", "n_name VARCHAR(25)", "n_regionkey INT", "n_comment VARCHAR(152)"],
    "supplier": ["s_suppkey INT NOT NULL", "s_name VARCHAR(25)", "s_address VARCHAR(40)", "s_nationkey INT",
                 "s_phone VARCHAR(15)", "s_acctbal DECIMAL(15, 2)", "s_comment VARCHAR(101)"],
    "customer": ["c_custkey INT NOT NULL", "c_name VARCHAR(25)", "c_address VARCHAR(40)", "c_nationkey INT",
                 "c_phone VARCHAR(15)", "c_acctbal DECIMAL(15, 2)", "c_mktsegment VARCHAR(10)", "c_comment VARCHAR(117)"],
    "part": ["p_partkey INT NOT NULL", "p_name VARCHAR(55)", "p_mfgr VARCHAR(25)", "p_brand VARCHAR(10)",
             "p_type VARCHAR(25)", "p_size INT", "p_container VARCHAR(10)", "p_retailprice DECIMAL(15, 2)",
             "p_comment VARCHAR(23)"],
    "partsupp": ["ps_partkey INT NOT NULL", "ps_suppkey INT NOT NULL", "ps_availqty INT",
                 "ps_supplycost DECIMAL(15, 2)", "ps_comment VARCHAR(199)"],
    "orders": ["o_orderkey BIGINT NOT NULL", "o_custkey INT", "o_orderstatus VARCHAR(1)", "o_totalprice DECIMAL(15, 2)",
               "o_orderdate DATE", "o_orderpriority VARCHAR(15)", "o_clerk VARCHAR(15)", "o_shippriority INT",
               "o_comment VARCHAR(79)"],
    "lineitem": ["l_orderkey BIGINT NOT NULL", "l_linenumber INT NOT NULL", "l_partkey INT", "l_suppkey INT",
                 "l_quantity DECIMAL(15, 2)", "l_extendedprice DECIMAL(15, 2)", "l_discount DECIMAL(15, 2)",
                 "l_tax DECIMAL(15, 2)", "l_returnflag VARCHAR(1)", "l_linestatus VARCHAR(1)", "l_shipdate DATE",
                 "l_commitdate DATE", "l_receiptdate DATE", "l_shipinstruct VARCHAR(25)", "l_shipmode VARCHAR(10)",
                 "l_comment VARCHAR(44)"],
}
# Column order of the .tbl files differs from the DDL for lineitem; map it.
TBL_COLUMNS = {
    "lineitem": ["l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity", "l_extendedprice",
                 "l_discount", "l_tax", "l_returnflag", "l_linestatus", "l_shipdate", "l_commitdate",
                 "l_receiptdate", "l_shipinstruct", "l_shipmode", "l_comment"],
}
BUCKETS = {"lineitem": 16, "orders": 8, "partsupp": 8, "part": 4, "customer": 4}

Q1 = """SELECT l_returnflag, l_linestatus, SUM(l_quantity) AS sum_qty, SUM(l_extendedprice) AS sum_base_price,
  SUM(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
  SUM(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge, AVG(l_quantity) AS avg_qty,
  AVG(l_extendedprice) AS avg_price, AVG(l_discount) AS avg_disc, COUNT(*) AS count_order
FROM lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus"""
Q6 = """SELECT SUM(l_extendedprice * l_discount) AS revenue FROM lineitem
WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24"""
COUNT = "SELECT COUNT(*) FROM lineitem"
CHUNK = 64 * 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def column_names(table):
    return TBL_COLUMNS.get(table, [c.split()[0] for c in SCHEMA[table]])


def generate(sf, out):
    subprocess.run(["tpchgen-cli", "-s", str(sf), "--output-dir", out], check=True)
    # .tbl lines end with a '|'; strip it so both systems read plain delimited text.
    for t in SCHEMA:
        src = os.path.join(out, f"{t}.tbl")
        dst = os.path.join(out, f"{t}.psv")
        with open(src, "rb") as f, open(dst, "wb") as g:
            for line in f:
                g.write(line.rstrip(b"\n").rstrip(b"|") + b"\n")
        os.remove(src)


def start_cluster(binary, data_dir):
    """Starts a standalone cluster on free ports; returns (process, connection, http port)."""
    import pymysql

    qport, hport = free_port(), free_port()
    proc = subprocess.Popen([binary, "--data-dir", data_dir, "--query-port", str(qport), "--http-port", str(hport)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while True:
        try:
            return proc, pymysql.connect(host="127.0.0.1", port=qport, user="root", autocommit=True), hport
        except pymysql.err.OperationalError:
            if time.time() > deadline:
                proc.terminate()
                raise
            time.sleep(0.5)


def chunks(path):
    with open(path, "rb") as f:
        buf = []
        size = 0
        for line in f:
            buf.append(line)
            size += len(line)
            if size >= CHUNK:
                yield b"".join(buf)
                buf, size = [], 0
        if buf:
            yield b"".join(buf)


def stream_load(http_port, table, data, label):
    req = urllib.request.Request(
        f"http://127.0.0.1:{http_port}/api/tpch/{table}/_stream_load", data=data, method="PUT",
        headers={"label": label, "column_separator": "|", "columns": ",".join(column_names(table)),
                 "Authorization": "Basic cm9vdDo="})
    with urllib.request.urlopen(req, timeout=3600) as r:
        body = json.loads(r.read())
    if body.get("Status") != "Success":
        raise RuntimeError(f"load of {table} failed: {body}")
    return body["NumberLoadedRows"]


def best_of(n, fn):
    best = None
    result = None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def normalise(rows):
    out = []
    for row in rows:
        out.append(tuple(round(float(v), 2) if isinstance(v, (float, decimal.Decimal)) else v for v in row))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", default="1")
    ap.add_argument("--binary", default=None, help="starling binary (default: release build in CARGO_TARGET_DIR)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    import duckdb

    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/starling/target"))
    binary = args.binary or os.path.join(target, "release", "starling")
    work = tempfile.mkdtemp(prefix="starling-tpch-")
    data = os.path.join(work, "data")
    print(f"generating TPC-H SF{args.sf} in {data}", flush=True)
    generate(args.sf, data)
    total_bytes = sum(os.path.getsize(os.path.join(data, f"{t}.psv")) for t in SCHEMA)

    proc, conn, hport = start_cluster(binary, os.path.join(work, "cluster"))
    try:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE tpch")
        cur.execute("USE tpch")
        for t, cols in SCHEMA.items():
            key = cols[0].split()[0]
            cur.execute(f"CREATE TABLE {t} ({', '.join(cols)}) DUPLICATE KEY({key}) "
                        f"DISTRIBUTED BY HASH({key}) BUCKETS {BUCKETS.get(t, 1)} PROPERTIES('replication_num'='1')")

        # Two Stream Loads at a time, as StarRocks recommends for big files:
        # parsing runs in parallel, the commits of one table are serialised.
        from concurrent.futures import ThreadPoolExecutor
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(stream_load, hport, t, chunk, f"{t}_{i}")
                    for t in SCHEMA for i, chunk in enumerate(chunks(os.path.join(data, f"{t}.psv")))]
            loaded = sum(j.result() for j in jobs)
        starling_load = time.perf_counter() - start

        db = duckdb.connect(os.path.join(work, "duck.db"))
        start = time.perf_counter()
        for t, cols in SCHEMA.items():
            types = {c.split()[0]: " ".join(c.split()[1:]).replace(" NOT NULL", "") for c in cols}
            spec = ", ".join(f"'{c}': '{types[c]}'" for c in column_names(t))
            db.execute(f"CREATE TABLE {t} AS SELECT * FROM read_csv('{data}/{t}.psv', delim='|', header=false, "
                       f"columns={{{spec}}})")
        duck_load = time.perf_counter() - start

        mb = total_bytes / 1e6
        print(f"\ndata: {mb:.0f} MB, {loaded} rows loaded into Starling")
        print(f"load: Starling {starling_load:.1f} s ({mb / starling_load:.1f} MB/s), "
              f"DuckDB {duck_load:.1f} s ({mb / duck_load:.1f} MB/s), "
              f"ratio Starling/DuckDB time = {starling_load / duck_load:.2f} (target <= 2)")

        def starling(q):
            cur.execute(q)
            return cur.fetchall()

        for name, q in [("Q1", Q1), ("Q6", Q6), ("COUNT(*)", COUNT)]:
            ts, rs = best_of(3, lambda: starling(q))
            td, rd = best_of(3, lambda: db.execute(q).fetchall())
            same = normalise(rs) == normalise(rd)
            target = " (target <= 3)" if name in ("Q1", "Q6") else ""
            print(f"{name}: Starling {ts * 1000:.0f} ms, DuckDB {td * 1000:.0f} ms, "
                  f"ratio {ts / td:.2f}{target}, same answer: {same}")
            if not same:
                print(f"  Starling: {rs[:3]}\n  DuckDB:   {rd[:3]}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
