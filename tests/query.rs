//! Loading and querying beyond the `.slt` files: partial aggregates run on
//! the BEs and give the same rows as aggregation on the FE alone
//! (`new_planner_agg_stage = 1`), known totals come out right, EXPLAIN shows
//! which part runs where; Stream Load computes columns from `columns`.

use mysql_async::prelude::Queryable;

use crate::harness::TestCluster;
use crate::query_strings;

const QUERIES: &[&str] = &[
    "SELECT COUNT(*) FROM d",
    "SELECT grp, COUNT(*), SUM(amount), AVG(amount), MIN(amount), MAX(amount), SUM(qty), AVG(qty) \
     FROM d GROUP BY grp ORDER BY grp",
    "SELECT dt, COUNT(amount), MAX(grp) FROM d WHERE qty > 3 AND grp IS NOT NULL GROUP BY dt ORDER BY dt",
    "SELECT COUNT(DISTINCT qty), COUNT(DISTINCT grp) FROM d",
    "SELECT if(qty > 6, 'hi', 'lo') AS band, SUM(amount * qty), COUNT(*) FROM d GROUP BY band ORDER BY band",
    "SELECT SUBSTR(CAST(dt AS VARCHAR), 1, 7) AS m, MAX(id), MIN(id) FROM d GROUP BY m ORDER BY m",
    "SELECT grp, SUM(qty) FROM d WHERE dt >= '2024-02-01' GROUP BY grp HAVING SUM(qty) > 10 ORDER BY grp",
    "SELECT COUNT(*), SUM(amount) FROM d WHERE id < 0",
    "SELECT qty, COUNT(*) FROM d GROUP BY qty ORDER BY qty LIMIT 5",
    "SELECT COUNT(*), SUM(v), MIN(s), MAX(k) FROM p",
    "SELECT v % 3 AS r, COUNT(*), SUM(k) FROM p GROUP BY r ORDER BY r",
    "SELECT d.grp, COUNT(*) FROM d JOIN p ON d.id = p.k GROUP BY d.grp ORDER BY d.grp",
];

async fn both_ways(c: &mut mysql_async::Conn, sql: &str) -> Vec<Vec<String>> {
    c.query_drop("SET new_planner_agg_stage = 0").await.unwrap();
    let pushed = query_strings(c, sql).await;
    c.query_drop("SET new_planner_agg_stage = 1").await.unwrap();
    let on_fe = query_strings(c, sql).await;
    c.query_drop("SET new_planner_agg_stage = 0").await.unwrap();
    assert_eq!(pushed, on_fe, "{sql}");
    assert!(!pushed.is_empty(), "{sql}");
    pushed
}

async fn explain(c: &mut mysql_async::Conn, sql: &str) -> String {
    let rows = query_strings(c, &format!("EXPLAIN {sql}")).await;
    rows.into_iter()
        .map(|r| r.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn insert_rows(c: &mut mysql_async::Conn, ids: std::ops::Range<i64>) {
    let rows: Vec<String> = ids
        .map(|i| {
            let grp = ["'a'", "'b'", "'c'", "NULL"][(i % 4) as usize];
            let amount = if i % 7 == 0 {
                "NULL".to_string()
            } else {
                format!("{}.{:02}", i, (i * 25) % 100)
            };
            format!(
                "(DATE '2024-01-01' + INTERVAL '{}' DAY, {i}, {grp}, {amount}, {})",
                i % 60,
                i % 13
            )
        })
        .collect();
    c.query_drop(format!("INSERT INTO d VALUES {}", rows.join(", ")))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_on_backends_match_aggregates_on_the_fe() {
    let cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE agg").await.unwrap();
    c.query_drop("USE agg").await.unwrap();
    c.query_drop(
        "CREATE TABLE d (dt DATE NOT NULL, id BIGINT NOT NULL, grp VARCHAR(4), amount DECIMAL(10, 2), qty INT) \
         DUPLICATE KEY(dt, id) PARTITION BY RANGE(dt) (PARTITION p1 VALUES LESS THAN ('2024-02-01'), \
         PARTITION p2 VALUES LESS THAN ('2024-04-01')) DISTRIBUTED BY HASH(id) BUCKETS 3 \
         PROPERTIES ('replication_num' = '2')",
    )
    .await
    .unwrap();
    c.query_drop("CREATE TABLE p (k INT NOT NULL, v INT, s VARCHAR(8)) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 4")
        .await
        .unwrap();
    // Several loads, so tablets have several rowsets.
    for start in [0, 200, 400] {
        insert_rows(&mut c, start..start + 200).await;
    }
    let keys: Vec<String> = (0..100).map(|k| format!("({k}, {k}, 's{k}')")).collect();
    c.query_drop(format!("INSERT INTO p VALUES {}", keys.join(", ")))
        .await
        .unwrap();
    let upserts: Vec<String> = (0..50).map(|k| format!("({k}, {}, 'u{k}')", k * 10)).collect();
    c.query_drop(format!("INSERT INTO p VALUES {}", upserts.join(", ")))
        .await
        .unwrap();
    c.query_drop("DELETE FROM p WHERE k < 10").await.unwrap();

    for q in QUERIES {
        both_ways(&mut c, q).await;
    }
    // Known answers.
    let total_qty: i64 = (0..600).map(|i| i % 13).sum();
    assert_eq!(
        both_ways(&mut c, "SELECT COUNT(*), SUM(qty) FROM d").await,
        vec![vec!["600".to_string(), total_qty.to_string()]]
    );
    let v_sum: i64 = (10..50).map(|k| k * 10).sum::<i64>() + (50..100).sum::<i64>();
    assert_eq!(
        both_ways(&mut c, "SELECT COUNT(*), SUM(v) FROM p").await,
        vec![vec!["90".to_string(), v_sum.to_string()]]
    );

    // EXPLAIN: the partial aggregate and its filter run on the backends...
    let plan = explain(&mut c, "SELECT grp, SUM(qty) FROM d WHERE qty > 3 GROUP BY grp").await;
    assert!(plan.contains("TabletScanExec: table=d, tablets=6"), "{plan}");
    assert!(
        plan.contains("on backends=[AggregateExec: mode=Partial"),
        "{plan}"
    );
    assert!(plan.contains("FilterExec: qty@"), "{plan}");
    // ...unless aggregation is one-stage, and a join's aggregate stays on the FE.
    c.query_drop("SET new_planner_agg_stage = 1").await.unwrap();
    let plan = explain(&mut c, "SELECT grp, SUM(qty) FROM d GROUP BY grp").await;
    assert!(!plan.contains("on backends"), "{plan}");
    c.query_drop("SET new_planner_agg_stage = 0").await.unwrap();
    let plan = explain(
        &mut c,
        "SELECT d.grp, COUNT(*) FROM d JOIN p ON d.id = p.k GROUP BY d.grp",
    )
    .await;
    assert!(!plan.contains("on backends=[AggregateExec"), "{plan}");
    let logical = explain(&mut c, "LOGICAL SELECT COUNT(*) FROM d").await;
    assert!(logical.contains("Aggregate:"), "{logical}");

    // New loads are seen at once, cached columns of older files or not.
    insert_rows(&mut c, 600..800).await;
    c.query_drop("INSERT INTO p VALUES (1, 1, 'back')").await.unwrap();
    for q in QUERIES {
        both_ways(&mut c, q).await;
    }
    assert_eq!(
        both_ways(&mut c, "SELECT COUNT(*) FROM d").await,
        vec![vec!["800".to_string()]]
    );
    assert_eq!(
        both_ways(&mut c, "SELECT COUNT(*), SUM(v) FROM p").await,
        vec![vec!["91".to_string(), (v_sum + 1).to_string()]]
    );
}

/// Stream Load's `columns` header with computed columns and temporary fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_load_columns_compute_values() {
    let cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE slc").await.unwrap();
    c.query_drop(
        "CREATE TABLE slc.t (k INT NOT NULL, name VARCHAR(20), d DATE, v BIGINT) \
         DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 2",
    )
    .await
    .unwrap();
    let columns = "columns: k, Tmp_Name, tmp_d, tmp_v, name = upper(tmp_name), \
                   d = to_date(tmp_d, '%Y%m%d'), v = CAST(tmp_v AS BIGINT) * 10";
    let (code, r) = crate::stream_load(
        &cluster,
        "slc/t",
        &["label:c1", "column_separator:,", columns],
        b"1,alice,20240105,7\n2,bob,20240210,9\n",
        "root:",
    );
    assert_eq!((code, r["Status"].as_str()), (200, Some("Success")), "{r}");
    assert_eq!(r["NumberLoadedRows"], 2, "{r}");
    assert_eq!(
        query_strings(&mut c, "SELECT k, name, d, v FROM slc.t ORDER BY k").await,
        vec![
            vec!["1", "ALICE", "2024-01-05", "70"],
            vec!["2", "BOB", "2024-02-10", "90"],
        ]
    );
    // Mistakes are refused with a message, and nothing is loaded.
    for (i, (header, want)) in [
        ("columns: k, x, name = nosuchfn(x)", "Bad expression in 'columns'"),
        ("columns: k, nope = k", "Unknown column 'nope' in table t"),
        ("columns: k, nope", "Unknown column 'nope' in table t"),
        ("columns: k, name =", "Empty expression for column 'name'"),
    ]
    .into_iter()
    .enumerate()
    {
        let label = format!("label:bad{i}");
        let (_, r) = crate::stream_load(
            &cluster,
            "slc/t",
            &[label.as_str(), "column_separator:,", header],
            b"3,zed\n",
            "root:",
        );
        assert_eq!(r["Status"], "Fail", "{header}: {r}");
        assert!(
            r["Message"].as_str().unwrap_or_default().contains(want),
            "{header}: {r}"
        );
    }
    let count: Option<i64> = c.query_first("SELECT COUNT(*) FROM slc.t").await.unwrap();
    assert_eq!(count, Some(2));
}
