use arrow::array::{Decimal128Array, Int64Array, StringArray, StringViewArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::physical_plan::{collect, displayable};
use datafusion::prelude::{SessionConfig, SessionContext};

use super::*;

/// Rows in two partitions of several batches. Key `rare` appears only with
/// `v = -1`; `v` is 0 on every 13th row and NULL on every 17th.
fn table() -> MemTable {
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Utf8, true),
        Field::new("v", DataType::Int64, true),
        Field::new("d", DataType::Decimal128(10, 2), false),
        Field::new("s", DataType::Utf8View, true),
    ]));
    let batch = |from: i64| {
        let rows = from..from + 97;
        let k: Vec<Option<String>> = rows
            .clone()
            .map(|i| match i {
                _ if i % 31 == 0 => Some("rare".to_string()),
                _ if i % 11 == 0 => None,
                _ => Some(format!("k{}", i % 4)),
            })
            .collect();
        let v: Vec<Option<i64>> = rows
            .clone()
            .map(|i| match i {
                _ if i % 31 == 0 => Some(-1),
                _ if i % 17 == 0 => None,
                _ if i % 13 == 0 => Some(0),
                _ => Some(i % 50),
            })
            .collect();
        let d: Vec<i128> = rows.clone().map(|i| i128::from(i) * 7 + 3).collect();
        let s: Vec<Option<String>> = rows
            .map(|i| (i % 5 != 0).then(|| format!("a fairly long string {}", i % 9)))
            .collect();
        RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(k)),
                Arc::new(Int64Array::from(v)),
                Arc::new(
                    Decimal128Array::from(d)
                        .with_precision_and_scale(10, 2)
                        .expect("decimal"),
                ),
                Arc::new(StringViewArray::from(s)),
            ],
        )
        .expect("batch")
    };
    let partitions = vec![
        (0..10).map(|b| batch(b * 97)).collect(),
        (10..17).map(|b| batch(b * 97)).collect(),
    ];
    MemTable::try_new(schema, partitions).expect("table")
}

fn context() -> SessionContext {
    // Two partitions keep the partial and final aggregations apart.
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    ctx.register_table("t", Arc::new(table())).expect("register");
    ctx
}

/// DataFusion's answer and the answer with masked aggregation (flushing
/// every `flush_groups` groups), and whether the swap happened.
async fn both(sql: &str, flush_groups: usize) -> (Result<String>, Result<String>, bool) {
    let ctx = context();
    // Two plans: a plan's repartitioning runs once.
    let physical = || async {
        ctx.sql(sql)
            .await
            .expect("plan")
            .create_physical_plan()
            .await
            .expect("physical")
    };
    let plan = physical().await;
    let masked = physical()
        .await
        .transform_up(|node| match MaskedAggregateExec::try_new(&node, flush_groups)? {
            Some(m) => Ok(Transformed::yes(Arc::new(m) as Arc<dyn ExecutionPlan>)),
            None => Ok(Transformed::no(node)),
        })
        .expect("swap")
        .data;
    let swapped = displayable(masked.as_ref())
        .indent(true)
        .to_string()
        .contains("MaskedAggregateExec");
    let run = |plan: Arc<dyn ExecutionPlan>| {
        let task = ctx.task_ctx();
        async move {
            let batches = collect(plan, task).await?;
            Ok(arrow::util::pretty::pretty_format_batches(&batches)?.to_string())
        }
    };
    (run(plan).await, run(masked).await, swapped)
}

#[tokio::test]
async fn masked_aggregation_gives_datafusions_answers() {
    for (sql, flush_groups, rare) in [
        // 90% pass: masked; `rare` only on dropped rows.
        (
            "SELECT k, SUM(v), COUNT(*), COUNT(v), AVG(d), MIN(s), MAX(s) FROM t \
             WHERE v >= 0 GROUP BY k ORDER BY k",
            FLUSH_GROUPS,
            false,
        ),
        (
            "SELECT k, v % 3 AS m, SUM(d * 2), MAX(v) FROM t \
             WHERE v IS NOT NULL AND k <> 'k1' OR v = -1 GROUP BY k, v % 3 ORDER BY k, m",
            FLUSH_GROUPS,
            true,
        ),
        // Few rows pass: filtered first.
        (
            "SELECT s, COUNT(*), SUM(v) FROM t WHERE v < 5 GROUP BY s ORDER BY s",
            FLUSH_GROUPS,
            false,
        ),
        // Division by zero only on rows the filter drops.
        (
            "SELECT k, SUM(100 / v) FROM t WHERE v <> 0 GROUP BY k ORDER BY k",
            FLUSH_GROUPS,
            true,
        ),
        // No filter.
        (
            "SELECT k, SUM(v), AVG(d * d) FROM t GROUP BY k ORDER BY k",
            FLUSH_GROUPS,
            true,
        ),
        // Flushing after every few groups.
        (
            "SELECT v, COUNT(*), MIN(k) FROM t WHERE v >= 0 GROUP BY v ORDER BY v",
            3,
            false,
        ),
    ] {
        let (want, got, swapped) = both(sql, flush_groups).await;
        assert!(swapped, "{sql}");
        let want = want.expect("DataFusion runs");
        assert_eq!(want.contains("rare"), rare, "{want}");
        assert_eq!(got.expect("masked runs"), want, "{sql}");
    }
}

#[tokio::test]
async fn an_error_on_a_passing_row_is_reported() {
    let sql = "SELECT k, SUM(100 / v) FROM t WHERE v >= 0 GROUP BY k";
    let (want, got, swapped) = both(sql, FLUSH_GROUPS).await;
    assert!(swapped);
    let want = want.expect_err("DataFusion fails").to_string();
    let got = got.expect_err("masked fails").to_string();
    assert!(want.contains("Divide by zero"), "{want}");
    assert!(got.contains("Divide by zero"), "{got}");
}

#[tokio::test]
async fn only_plain_partial_aggregations_are_swapped() {
    for sql in [
        "SELECT SUM(v) FROM t WHERE v > 2",
        "SELECT k, SUM(v) FILTER (WHERE v > 3) FROM t WHERE v > 2 GROUP BY k ORDER BY k",
        "SELECT k, ARRAY_AGG(v ORDER BY v) FROM t WHERE v > 2 GROUP BY k ORDER BY k",
        "SELECT k, BOOL_AND(v > 3) FROM t WHERE v > 2 GROUP BY k ORDER BY k",
    ] {
        let (want, got, swapped) = both(sql, FLUSH_GROUPS).await;
        assert!(!swapped, "{sql}");
        assert_eq!(got.expect("runs"), want.expect("runs"));
    }
}
