//! Decimal literals at the scale of the decimal they are added to or
//! subtracted from.
//!
//! `1 - d`, with `d DECIMAL(15, 2)`, is coerced to `1::DECIMAL(20, 0) - d`,
//! which Arrow computes by rescaling both sides of every row with checked
//! 128-bit multiplications before subtracting. The literal `1.00` typed
//! `DECIMAL(22, 2)` gives a result of exactly the same type (scale
//! `max(s1, s2)`, precision `scale + max(p1 - s1, p2 - s2) + 1`) with one
//! subtraction per row. TPC-H Q1 spends a fifth of its time on two such
//! expressions.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

/// The rule; it runs after DataFusion's own, when casts of literals are folded.
#[derive(Debug, Default)]
pub struct AlignDecimalLiterals;

impl OptimizerRule for AlignDecimalLiterals {
    fn name(&self) -> &str {
        "align_decimal_literals"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        // Expressions of one-input plans are typed by that input's schema.
        let schema = match plan.inputs().as_slice() {
            [input] => Arc::clone(input.schema()),
            _ => return Ok(Transformed::no(plan)),
        };
        let names = NamePreserver::new(&plan);
        plan.map_expressions(|expr| {
            let saved = names.save(&expr);
            let aligned = expr.transform_up(|e| align(e, &schema))?;
            Ok(aligned.update_data(|e| saved.restore(e)))
        })
    }
}

fn align(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else {
        return Ok(Transformed::no(e));
    };
    if !matches!(op, Operator::Plus | Operator::Minus) {
        return Ok(Transformed::no(e));
    }
    if let Some(l) = rescaled(left, right, schema) {
        return Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
            Box::new(l),
            *op,
            right.clone(),
        ))));
    }
    if let Some(r) = rescaled(right, left, schema) {
        return Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
            left.clone(),
            *op,
            Box::new(r),
        ))));
    }
    Ok(Transformed::no(e))
}

/// `literal` at the scale of `other`, if it is a decimal literal of a smaller
/// scale and `other` a decimal of a larger one.
fn rescaled(literal: &Expr, other: &Expr, schema: &DFSchema) -> Option<Expr> {
    let Expr::Literal(ScalarValue::Decimal128(Some(v), p, s), metadata) = literal else {
        return None;
    };
    let DataType::Decimal128(_, target) = other.get_type(schema).ok()? else {
        return None;
    };
    if target <= *s || *s < 0 {
        return None;
    }
    let k = u32::try_from(target - s).ok()?;
    let precision = p.checked_add(u8::try_from(k).ok()?)?;
    if precision > arrow::datatypes::DECIMAL128_MAX_PRECISION {
        return None;
    }
    let value = v.checked_mul(10i128.checked_pow(k)?)?;
    Some(Expr::Literal(
        ScalarValue::Decimal128(Some(value), precision, target),
        metadata.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;

    async fn run(with_rule: bool, sql: &str) -> (String, String) {
        let mut state = SessionStateBuilder::new()
            .with_config(SessionConfig::new())
            .with_default_features();
        if with_rule {
            state = state.with_optimizer_rule(Arc::new(AlignDecimalLiterals));
        }
        let ctx = SessionContext::new_with_state(state.build());
        let schema = Arc::new(Schema::new(vec![
            Field::new("d", DataType::Decimal128(15, 2), true),
            Field::new("e", DataType::Decimal128(12, 4), true),
        ]));
        let batch = arrow::array::RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(
                    arrow::array::Decimal128Array::from(vec![Some(5), Some(-999), None, Some(123_456)])
                        .with_precision_and_scale(15, 2)
                        .expect("type"),
                ),
                Arc::new(
                    arrow::array::Decimal128Array::from(vec![Some(1), Some(20_000), Some(7), None])
                        .with_precision_and_scale(12, 4)
                        .expect("type"),
                ),
            ],
        )
        .expect("batch");
        let table = MemTable::try_new(schema, vec![vec![batch]]).expect("table");
        ctx.register_table("t", Arc::new(table)).expect("register");
        let df = ctx.sql(sql).await.expect("plan");
        let plan = df
            .clone()
            .into_optimized_plan()
            .expect("optimize")
            .display_indent_schema()
            .to_string();
        let rows = df.collect().await.expect("run");
        (
            plan,
            arrow::util::pretty::pretty_format_batches(&rows)
                .expect("format")
                .to_string(),
        )
    }

    #[tokio::test]
    async fn aligned_literals_give_the_same_types_names_and_values() {
        let sql = "SELECT 1 - d, d + 2, 3 - e * d, SUM(d * (1 + e)), e - 0.5 FROM t GROUP BY d, e ORDER BY d";
        let (plain_plan, plain) = run(false, sql).await;
        let (plan, aligned) = run(true, sql).await;
        assert_eq!(aligned, plain);
        assert!(plan.contains("Decimal128(1.00,22,2) - t.d"), "{plan}");
        assert!(plan.contains("Decimal128(1.0000,24,4) + t.e"), "{plan}");
        assert!(!plain_plan.contains("Decimal128(1.00,22,2)"), "{plain_plan}");
        // Result schemas (names and types) are unchanged: the last line of
        // each plan print is the top node with its schema.
        let top = |p: &str| {
            p.lines()
                .next()
                .unwrap_or_default()
                .split(" [")
                .nth(1)
                .map(str::to_string)
        };
        assert_eq!(top(&plan), top(&plain_plan));
    }
}
