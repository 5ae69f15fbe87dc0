#!/usr/bin/env python3
"""RESTORE throughput and per-tablet overhead, against a baseline measured in the same run.

1. Loads TPC-H (default SF1) into a standalone cluster A (>= 100 tablets) and a
   table of 10,000 small tablets (100 partitions x 100 buckets), backs both up
   to a file:// repository, and stops cluster A.
2. Starts a fresh cluster B, registers the same location as a READ ONLY
   repository and
   - restores the 10,000-tablet snapshot: total seconds and the FE's peak RSS
     (targets: < 10 s, < 500 MB);
   - in rounds (default 5), times `cp -r` + `sync` of the TPC-H snapshot
     directory and right after it a RESTORE of it, with replication_num 1
     (target: >= 0.8x of cp MB/s) and with 3, checking every table's row count
     against cluster A's; prints every round and the medians;
   - restores the TPC-H snapshot once more, PAUSEs it at about half of its
     bytes (SHOW JOBS) and RESUMEs it: prints the bytes the BEs downloaded
     beyond the snapshot's size / its size (from /metrics; target <= 5 %) and
     the time it ran, pause excluded, / an unpaused RESTORE run right before
     it (target <= 1.1x).

Needs a release build (`cargo build --release --bin starling`) and
`pip install tpchgen-cli pymysql`. Usage: python3 bench/restore.py [--sf 1]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tpch  # noqa: E402  (schema, data generation, Stream Load, cluster start)
from backup import BUCKETS, copy_baseline, states, tree_bytes, wait_backup, wait_job  # noqa: E402

SMALL_PARTITIONS = 100


def wait_restore(cur, db):
    return wait_job(cur, "RESTORE", db)


def timestamp(cur, label):
    cur.execute(f"SHOW SNAPSHOT ON bench WHERE SNAPSHOT = '{label}'")
    return cur.fetchone()[1]


def fe_pid(supervisor):
    """The FE child of a standalone supervisor (its first argument is `fe`)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if ppid == supervisor and len(argv) > 1 and argv[1] == b"fe":
            return int(pid)
    raise RuntimeError("no FE process found")


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def counts(cur, db):
    out = {}
    for t in tpch.SCHEMA:
        cur.execute(f"SELECT COUNT(*) FROM {db}.{t}")
        out[t] = cur.fetchone()[0]
    return out


def downloaded_bytes(http_port):
    """The BEs' download counters from the FE's /metrics, once they stop changing
    (they arrive with heartbeats, one a second)."""
    def read():
        req = urllib.request.Request(f"http://127.0.0.1:{http_port}/metrics",
                                     headers={"Authorization": "Basic cm9vdDo="})
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
        return sum(int(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("starling_backend_transfer_bytes_total") and 'direction="download"' in line)
    last = read()
    while True:
        time.sleep(1.3)
        now = read()
        if now == last:
            return now
        last = now


def paused_restore(cur, http_port, ts, db, rows, snapshot_bytes):
    """An unpaused RESTORE, then one paused at about half of its bytes and
    resumed; prints the ratios (the unpaused one right before is the baseline:
    this machine's disk changes speed between minutes)."""
    subprocess.run(["sync"], check=True)
    start = time.perf_counter()
    cur.execute(f"RESTORE SNAPSHOT {db}_base.s1 FROM bench PROPERTIES "
                f"('backup_timestamp' = '{ts}', 'replication_num' = '1')")
    wait_restore(cur, f"{db}_base")
    subprocess.run(["sync"], check=True)
    unpaused_s = time.perf_counter() - start
    before = downloaded_bytes(http_port)
    subprocess.run(["sync"], check=True)
    start = time.perf_counter()
    cur.execute(f"RESTORE SNAPSHOT {db}.s1 FROM bench PROPERTIES "
                f"('backup_timestamp' = '{ts}', 'replication_num' = '1')")
    while True:
        cur.execute(f"SHOW JOBS WHERE DbName = '{db}' AND FinishTime IS NULL")
        row = cur.fetchone()
        if row is None:
            raise RuntimeError("the restore ended before it could be paused")
        done, total = int(row[6]), int(row[7])
        if total > 0 and done >= total / 2:
            break
        time.sleep(0.05)
    cur.execute(f"PAUSE RESTORE FROM {db}")
    paused_at = time.perf_counter()
    cur.execute(f"SHOW JOBS WHERE DbName = '{db}' AND FinishTime IS NULL")
    row = cur.fetchone()
    share = int(row[6]) / int(row[7])
    time.sleep(3)
    resumed_at = time.perf_counter()
    cur.execute(f"RESUME RESTORE FROM {db}")
    wait_restore(cur, db)
    subprocess.run(["sync"], check=True)
    active = time.perf_counter() - start - (resumed_at - paused_at)
    got = counts(cur, db)
    assert got == rows, f"{db}: {got} != {rows}"
    cur.execute(f"SHOW JOBS WHERE DbName = '{db}'")
    job_total = int(cur.fetchone()[7])
    # The counters arrive with heartbeats, which a BE busy syncing may answer
    # late: wait (up to 30 s) until they account for the whole snapshot.
    deadline = time.time() + 30
    fetched = downloaded_bytes(http_port) - before
    while fetched < job_total and time.time() < deadline:
        time.sleep(1)
        fetched = downloaded_bytes(http_port) - before
    again = max(0, fetched - job_total)
    if fetched < job_total:
        print(f"(the BEs' counters account for {fetched / 1e6:.1f} MB of {job_total / 1e6:.1f} MB: "
              f"a heartbeat was late)")
    print(f"\nPAUSE at {share:.0%} of {job_total / 1e6:.0f} MB ({snapshot_bytes / 1e6:.0f} MB on disk), "
          f"RESUME after 3 s: downloaded {fetched / 1e6:.1f} MB, "
          f"re-transferred / total = {again / job_total:.3f} (target <= 0.05); "
          f"time running {active:.2f} s / unpaused {unpaused_s:.2f} s = {active / unpaused_s:.2f} (target <= 1.1)")


def build_source(binary, work, sf, small_tablets):
    """Cluster A: TPC-H and the small-tablet table, both backed up; returns (repo, row counts)."""
    data = os.path.join(work, "data")
    print(f"generating TPC-H SF{sf} in {data}", flush=True)
    tpch.generate(sf, data)
    cluster = os.path.join(work, "cluster-a")
    repo = os.path.join(work, "repo")
    proc, conn, hport = tpch.start_cluster(binary, cluster)
    try:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE tpch")
        cur.execute("USE tpch")
        for t, cols in tpch.SCHEMA.items():
            key = cols[0].split()[0]
            cur.execute(f"CREATE TABLE {t} ({', '.join(cols)}) DUPLICATE KEY({key}) "
                        f"DISTRIBUTED BY HASH({key}) BUCKETS {BUCKETS.get(t, 1)} PROPERTIES('replication_num'='1')")
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(tpch.stream_load, hport, t, chunk, f"{t}_{i}")
                    for t in tpch.SCHEMA for i, chunk in enumerate(tpch.chunks(os.path.join(data, f"{t}.psv")))]
            for j in jobs:
                j.result()
        shutil.rmtree(data)
        rows = counts(cur, "tpch")

        buckets = max(1, small_tablets // SMALL_PARTITIONS)
        ranges = ", ".join(f"PARTITION p{i} VALUES LESS THAN ('{(i + 1) * 10}')" for i in range(SMALL_PARTITIONS))
        cur.execute("CREATE DATABASE small")
        cur.execute(f"CREATE TABLE small.t (k INT NOT NULL, v INT) DUPLICATE KEY(k) PARTITION BY RANGE(k) ({ranges}) "
                    f"DISTRIBUTED BY HASH(k) BUCKETS {buckets} PROPERTIES('replication_num'='1')")
        cur.execute("INSERT INTO small.t VALUES " + ", ".join(f"({i}, {i})" for i in range(SMALL_PARTITIONS * 10)))

        cur.execute(f"CREATE REPOSITORY bench WITH BROKER ON LOCATION 'file://{repo}'")
        cur.execute("BACKUP SNAPSHOT tpch.s1 TO bench")
        wait_backup(cur, "tpch")
        cur.execute("BACKUP SNAPSHOT small.s2 TO bench")
        wait_backup(cur, "small")
    finally:
        # Its files stay until the end of the run: deleting tens of thousands of
        # files right before cluster B creates as many slows B's inode
        # allocation on some file systems (ext4 without a journal skips
        # recently freed inodes), which is not what this benchmark measures.
        proc.terminate()
        proc.wait(timeout=60)
    return repo, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", default="1")
    ap.add_argument("--binary", default=None)
    ap.add_argument("--small-tablets", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5, help="cp/RESTORE rounds per replication_num")
    args = ap.parse_args()

    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/starling/target"))
    binary = args.binary or os.path.join(target, "release", "starling")
    work = tempfile.mkdtemp(prefix="starling-restore-bench-")
    try:
        repo, rows = build_source(binary, work, args.sf, args.small_tablets)
        proc, conn, http_port = tpch.start_cluster(binary, os.path.join(work, "cluster-b"))
        try:
            cur = conn.cursor()
            cur.execute(f"CREATE READ ONLY REPOSITORY bench WITH BROKER ON LOCATION 'file://{repo}'")

            ts = timestamp(cur, "s2")
            subprocess.run(["sync"], check=True)
            start = time.perf_counter()
            cur.execute(f"RESTORE SNAPSHOT small.s2 FROM bench PROPERTIES "
                        f"('backup_timestamp' = '{ts}', 'replication_num' = '1')")
            small_states = wait_restore(cur, "small")
            small_s = time.perf_counter() - start
            rss = peak_rss_mb(fe_pid(proc.pid))
            try:
                cur.execute("SELECT COUNT(*) FROM small.t")
                assert cur.fetchone()[0] == SMALL_PARTITIONS * 10
            except Exception as e:  # a query failure is reported, the benchmark goes on
                print(f"verification query on the small table failed: {e}")
            print(f"\nRESTORE of {args.small_tablets} small tablets: {small_s:.2f} s (target < 10 s), "
                  f"FE peak RSS {rss:.0f} MB (target < 500 MB); {states(small_states)}")

            snapshot = os.path.join(repo, "__starrocks_repository_bench", "__ss_s1")
            mb = tree_bytes([snapshot]) / 1e6
            ts = timestamp(cur, "s1")
            print(f"snapshot of {mb:.0f} MB; each round times cp -r + sync of it, then its RESTORE")
            ratios = {}
            for replicas in (1, 3):
                rounds = []
                for i in range(args.rounds):
                    cp_s = copy_baseline([snapshot], os.path.join(work, f"cp-baseline-{replicas}-{i}"))
                    db = f"tpch_r{replicas}_{i}"
                    subprocess.run(["sync"], check=True)
                    start = time.perf_counter()
                    cur.execute(f"RESTORE SNAPSHOT {db}.s1 FROM bench PROPERTIES "
                                f"('backup_timestamp' = '{ts}', 'replication_num' = '{replicas}')")
                    seen = wait_restore(cur, db)
                    subprocess.run(["sync"], check=True)
                    secs = time.perf_counter() - start
                    got = counts(cur, db)
                    assert got == rows, f"{db}: {got} != {rows}"
                    print(f"  replication_num {replicas}, round {i + 1}: cp -r + sync {cp_s:.2f} s "
                          f"({mb / cp_s:.0f} MB/s); RESTORE {secs:.2f} s ({mb / secs:.0f} MB/s, "
                          f"{mb * replicas / secs:.0f} MB/s written), ratio {cp_s / secs:.2f}; {states(seen)}")
                    rounds.append((cp_s, secs))
                cp_med = statistics.median(r[0] for r in rounds)
                secs_med = statistics.median(r[1] for r in rounds)
                ratios[replicas] = cp_med / secs_med
                print(f"RESTORE, {replicas} replica(s), median of {args.rounds}: {secs_med:.2f} s "
                      f"({mb / secs_med:.0f} MB/s) against cp -r + sync {cp_med:.2f} s ({mb / cp_med:.0f} MB/s)")
            print(f"ratio restore MB/s / cp MB/s = {ratios[1]:.2f} (replication_num 1, target >= 0.8); "
                  f"{ratios[3]:.2f} with 3 replicas")
            paused_restore(cur, http_port, ts, "tpch_paused", rows, mb * 1e6)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
