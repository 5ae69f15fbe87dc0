#!/usr/bin/env python3
"""BACKUP throughput and per-tablet overhead, against baselines measured in the same run.

1. Loads TPC-H (default SF1, ~1 GB of text) into a fresh standalone cluster with
   enough buckets for >= 100 tablets; then, in rounds (default 5), times
   `cp -r` + `sync` of the BEs' tablet files and right after it a BACKUP of
   the database to a file:// repository (submit to FINISHED, then `sync`),
   and prints every round and the medians (target: backup >= 0.8x of cp).
2. Creates a table of 10,000 small tablets (100 partitions x 100 buckets) and
   prints how long its backup takes (FE and BE overhead per tablet).

Needs a release build (`cargo build --release --bin starling`) and
`pip install tpchgen-cli pymysql`. Usage: python3 bench/backup.py [--sf 1]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tpch  # noqa: E402  (schema, data generation and Stream Load helpers)

BUCKETS = {"lineitem": 64, "orders": 32, "partsupp": 16, "part": 8, "customer": 8, "supplier": 2}


def wait_job(cur, kind, db, timeout=3600):
    """Polls SHOW BACKUP / SHOW RESTORE (kind) of db until FINISHED; raises on CANCELLED.
    Returns {state: seconds after the call at which it was first seen}."""
    state_col, status_col = {"BACKUP": (3, 12), "RESTORE": (4, 16)}[kind]
    start = time.perf_counter()
    seen = {}
    while True:
        cur.execute(f"SHOW {kind} FROM {db}")
        row = cur.fetchone()
        state, status = row[state_col], row[status_col]
        seen.setdefault(state, time.perf_counter() - start)
        if state == "FINISHED":
            return seen
        if state == "CANCELLED":
            raise RuntimeError(f"{kind.lower()} cancelled: {status}")
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"{kind.lower()} still {state} after {timeout} s")
        time.sleep(0.01)


def states(seen):
    """When each state was first seen, as printed by the benchmarks."""
    return ", ".join(f"{state} at {t:.2f} s" for state, t in seen.items())


def wait_backup(cur, db):
    return wait_job(cur, "BACKUP", db)


def tree_bytes(paths):
    total = 0
    for root in paths:
        for d, _, files in os.walk(root):
            total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total


def copy_baseline(trees, copy):
    """Seconds for `cp -r` of every tree into `copy`, then `sync`. The copy is
    kept until the run ends: deleting tens of thousands of files right before
    a timed step makes the next file creations slow on some file systems."""
    os.makedirs(copy)
    subprocess.run(["sync"], check=True)
    start = time.perf_counter()
    for i, d in enumerate(trees):
        subprocess.run(["cp", "-r", d, os.path.join(copy, str(i))], check=True)
    subprocess.run(["sync"], check=True)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", default="1")
    ap.add_argument("--binary", default=None)
    ap.add_argument("--small-tablets", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5, help="cp/BACKUP rounds")
    args = ap.parse_args()

    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/starling/target"))
    binary = args.binary or os.path.join(target, "release", "starling")
    work = tempfile.mkdtemp(prefix="starling-backup-bench-")
    data = os.path.join(work, "data")
    print(f"generating TPC-H SF{args.sf} in {data}", flush=True)
    tpch.generate(args.sf, data)

    cluster = os.path.join(work, "cluster")
    proc, conn, hport = tpch.start_cluster(binary, cluster)
    try:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE tpch")
        cur.execute("USE tpch")
        tablets = 0
        for t, cols in tpch.SCHEMA.items():
            key = cols[0].split()[0]
            buckets = BUCKETS.get(t, 1)
            tablets += buckets
            cur.execute(f"CREATE TABLE {t} ({', '.join(cols)}) DUPLICATE KEY({key}) "
                        f"DISTRIBUTED BY HASH({key}) BUCKETS {buckets} PROPERTIES('replication_num'='1')")
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(tpch.stream_load, hport, t, chunk, f"{t}_{i}")
                    for t in tpch.SCHEMA for i, chunk in enumerate(tpch.chunks(os.path.join(data, f"{t}.psv")))]
            rows = sum(j.result() for j in jobs)
        shutil.rmtree(data)

        be_data = [os.path.join(cluster, d, "storage", "data") for d in sorted(os.listdir(cluster))
                   if d.startswith("be") and os.path.isdir(os.path.join(cluster, d, "storage", "data"))]
        size = tree_bytes(be_data)
        mb = size / 1e6
        print(f"\n{rows} rows in {tablets} tablets, {mb:.0f} MB of tablet files on {len(be_data)} BEs")

        repo = os.path.join(work, "repo")
        cur.execute(f"CREATE REPOSITORY bench WITH BROKER ON LOCATION 'file://{repo}'")
        print(f"each round times cp -r + sync of the tablet files, then a BACKUP of them")
        rounds = []
        for i in range(args.rounds):
            cp_s = copy_baseline(be_data, os.path.join(work, f"cp-baseline-{i}"))
            subprocess.run(["sync"], check=True)
            start = time.perf_counter()
            cur.execute(f"BACKUP SNAPSHOT tpch.round{i} TO bench")
            seen = wait_backup(cur, "tpch")
            subprocess.run(["sync"], check=True)
            secs = time.perf_counter() - start
            print(f"  round {i + 1}: cp -r + sync {cp_s:.2f} s ({mb / cp_s:.0f} MB/s); "
                  f"BACKUP {secs:.2f} s ({mb / secs:.0f} MB/s), ratio {cp_s / secs:.2f}; {states(seen)}")
            rounds.append((cp_s, secs))
        cp_med = statistics.median(r[0] for r in rounds)
        secs_med = statistics.median(r[1] for r in rounds)
        print(f"BACKUP, median of {args.rounds}: {secs_med:.2f} s ({mb / secs_med:.0f} MB/s) "
              f"against cp -r + sync {cp_med:.2f} s ({mb / cp_med:.0f} MB/s)")
        print(f"ratio backup MB/s / cp MB/s = {cp_med / secs_med:.2f} (target >= 0.8)")

        parts = 100
        buckets = max(1, args.small_tablets // parts)
        ranges = ", ".join(f"PARTITION p{i} VALUES LESS THAN ('{(i + 1) * 10}')" for i in range(parts))
        cur.execute("CREATE DATABASE small")
        cur.execute(f"CREATE TABLE small.t (k INT NOT NULL, v INT) DUPLICATE KEY(k) PARTITION BY RANGE(k) ({ranges}) "
                    f"DISTRIBUTED BY HASH(k) BUCKETS {buckets} PROPERTIES('replication_num'='1')")
        cur.execute("INSERT INTO small.t VALUES " + ", ".join(f"({i}, {i})" for i in range(parts * 10)))
        start = time.perf_counter()
        cur.execute("BACKUP SNAPSHOT small.s2 TO bench")
        small_states = wait_backup(cur, "small")
        small_s = time.perf_counter() - start
        print(f"BACKUP of {parts * buckets} small tablets: {small_s:.2f} s "
              f"({small_s * 1000 / (parts * buckets):.2f} ms per tablet); {states(small_states)}")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
