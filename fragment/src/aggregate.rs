//! Partial aggregation that takes its filter as a row mask.
//!
//! A fragment's usual shape is a partial `AggregateExec` over projections
//! over a `FilterExec`. [`masked_aggregates`] replaces that chain (the
//! filter is optional) on the BE with [`MaskedAggregateExec`], which also
//! does decimal arithmetic without per-value overflow checks where it can
//! (see [`crate::decimal`]). When most rows pass — TPC-H Q1 keeps 98% — copying
//! the passing rows of every input column into new batches is a large part
//! of the work. So the operator evaluates the predicate into a mask and, when
//! at least [`MASK_SHARE`] of a batch passes, computes the group keys and
//! aggregate arguments over the whole batch. Rows the mask drops are
//! accumulated into a *discard* group, id 0, whose state is never output;
//! group `g` of DataFusion's `GroupValues` is accumulator group `g + 1`.
//! (Handing the mask to the accumulators as their row filter works too, but
//! takes them off their fast path: Q1 got slower, not faster.)
//!
//! What keeps the answers DataFusion's own:
//! - Rows the filter drops still get a group id. A group that only such rows
//!   touched is not *live*, and its row is removed from the output.
//! - Expressions can fail on rows the filter drops (`1 / x` under
//!   `WHERE x <> 0`). If evaluating the whole batch fails, the batch is
//!   filtered first and evaluated again, and only that error counts.
//! - Only aggregates whose accumulators cannot fail on a value are taken
//!   ([`MASKABLE`]): the discard group sees arbitrary rows.
//!
//! Grouping, accumulators and the partial states are DataFusion's; the
//! output has the replaced `AggregateExec`'s schema.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::utils::split_conjunction;
use datafusion::physical_plan::aggregates::group_values::{GroupValues, new_group_values};
use datafusion::physical_plan::aggregates::order::GroupOrdering;
use datafusion::physical_plan::aggregates::{
    AggregateExec, AggregateMode, aggregate_expressions, evaluate_group_by, evaluate_many,
};
use datafusion::physical_plan::execution_plan::ReplaceChildrenOptions;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, InputOrderMode, PlanProperties,
};
use futures::StreamExt;

use crate::decimal::fast_decimals;
use crate::filter::{Selection, select};
use crate::unary::{keep_properties, only_child, visit};

/// The least share of a batch's rows that must pass for the batch to be
/// aggregated under a mask rather than filtered first.
pub const MASK_SHARE: f64 = 0.75;

/// The aggregate functions taken: their group accumulators add, count or
/// compare, and never fail on a value.
pub const MASKABLE: [&str; 5] = ["sum", "count", "avg", "min", "max"];

/// Groups held before the partial states are sent on and the table starts
/// afresh; the FE's final aggregation merges repeated groups.
const FLUSH_GROUPS: usize = 1 << 18;

/// After this many input rows, a table with more groups than
/// [`SKIP_RATIO`] of its rows stops aggregating across batches: each batch's
/// states go straight out, as DataFusion's partial aggregation does.
const SKIP_PROBE_ROWS: usize = 100_000;
const SKIP_RATIO: f64 = 0.8;

/// Output batches are at most this many groups.
const OUTPUT_ROWS: usize = 8192;

/// `plan` with each partial aggregation over projections over a filter (or
/// none) replaced by a [`MaskedAggregateExec`], where its aggregates allow
/// it.
pub fn masked_aggregates(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    let swapped = plan.transform_up(|node| match MaskedAggregateExec::try_new(&node, FLUSH_GROUPS)? {
        Some(masked) => Ok(Transformed::yes(Arc::new(masked) as Arc<dyn ExecutionPlan>)),
        None => Ok(Transformed::no(node)),
    })?;
    Ok(swapped.data)
}

/// A projection step between the filter and the aggregation.
#[derive(Debug, Clone)]
struct Projection {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    schema: SchemaRef,
}

/// Filter, projections and partial aggregation in one operator.
#[derive(Debug)]
pub struct MaskedAggregateExec {
    plan: Arc<Plan>,
    input: Arc<dyn ExecutionPlan>,
}

impl MaskedAggregateExec {
    /// The replacement for `node`, if it is a partial aggregation this
    /// operator computes exactly as DataFusion would.
    fn try_new(node: &Arc<dyn ExecutionPlan>, flush_groups: usize) -> Result<Option<Self>> {
        let Some(aggregate) = node.downcast_ref::<AggregateExec>() else {
            return Ok(None);
        };
        let group_by = aggregate.group_expr();
        let plain = *aggregate.mode() == AggregateMode::Partial
            && group_by.is_single()
            && !group_by.expr().is_empty()
            && aggregate.limit_options().is_none()
            && *aggregate.input_order_mode() == InputOrderMode::Linear
            && aggregate.filter_expr().iter().all(Option::is_none)
            && aggregate.aggr_expr().iter().all(|a| {
                MASKABLE.contains(&a.fun().name())
                    && a.groups_accumulator_supported()
                    && !a.is_distinct()
                    && a.order_bys().is_empty()
            });
        if !plain {
            return Ok(None);
        }
        let mut steps = Vec::new();
        let mut below = aggregate.input();
        while let Some(p) = below.downcast_ref::<ProjectionExec>() {
            steps.push(p);
            below = p.input();
        }
        let (conjuncts, filter_projection, input) = match below.downcast_ref::<FilterExec>() {
            Some(f) if f.fetch().is_some() => return Ok(None),
            Some(f) => (
                split_conjunction(f.predicate()).into_iter().cloned().collect(),
                f.projection().as_ref().map(|p| p.to_vec()),
                Arc::clone(f.input()),
            ),
            None => (Vec::new(), None, Arc::clone(below)),
        };
        // Bottom-up, each step's expressions over the schema below it.
        let mut projections = Vec::new();
        let mut schema = below.schema();
        for step in steps.into_iter().rev() {
            projections.push(Projection {
                exprs: step
                    .expr()
                    .iter()
                    .map(|e| fast_decimals(&e.expr, &schema))
                    .collect::<Result<_>>()?,
                schema: step.schema(),
            });
            schema = step.schema();
        }
        let arguments = aggregate_expressions(aggregate.aggr_expr(), aggregate.mode(), 0)?
            .iter()
            .map(|exprs| exprs.iter().map(|e| fast_decimals(e, &schema)).collect())
            .collect::<Result<_>>()?;
        let any: Arc<dyn std::any::Any + Send + Sync> = Arc::clone(node) as _;
        let Ok(aggregate) = any.downcast::<AggregateExec>() else {
            return internal_err!("an AggregateExec did not downcast");
        };
        Ok(Some(Self {
            plan: Arc::new(Plan {
                aggregate,
                conjuncts,
                filter_projection,
                projections,
                arguments,
                flush_groups,
            }),
            input,
        }))
    }
}

impl DisplayAs for MaskedAggregateExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let plan = &self.plan;
        let conjuncts: Vec<String> = plan.conjuncts.iter().map(|c| c.to_string()).collect();
        let groups: Vec<&str> = plan
            .aggregate
            .group_expr()
            .expr()
            .iter()
            .map(|(_, n)| n.as_str())
            .collect();
        let aggregates: Vec<&str> = plan.aggregate.aggr_expr().iter().map(|a| a.name()).collect();
        write!(
            f,
            "MaskedAggregateExec: gby=[{}], aggr=[{}], filter={}",
            groups.join(", "),
            aggregates.join(", "),
            conjuncts.join(" AND ")
        )
    }
}

impl ExecutionPlan for MaskedAggregateExec {
    fn name(&self) -> &str {
        "MaskedAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.plan.aggregate.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let projected = self.plan.projections.iter().flat_map(|p| p.exprs.iter());
        if visit(self.plan.conjuncts.iter().chain(projected), f)? == TreeNodeRecursion::Stop {
            return Ok(TreeNodeRecursion::Stop);
        }
        self.plan.aggregate.apply_expressions(f)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = only_child(children, "MaskedAggregateExec")?;
        Ok(Arc::new(Self {
            plan: Arc::clone(&self.plan),
            input,
        }))
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, keep_properties())
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let run = Run {
            input,
            table: Table::new(&self.plan.aggregate)?,
            plan: Arc::clone(&self.plan),
            ready: VecDeque::new(),
            finished: false,
            rows: 0,
            per_batch: false,
        };
        let batches = futures::stream::unfold(Some(run), |run| async move {
            let mut run = run?;
            match run.next().await {
                Some(Ok(batch)) => Some((Ok(batch), Some(run))),
                Some(Err(e)) => Some((Err(e), None)),
                None => None,
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), batches)))
    }
}

/// What the operator evaluates, fixed when it is built.
#[derive(Debug)]
struct Plan {
    aggregate: Arc<AggregateExec>,
    conjuncts: Vec<Arc<dyn PhysicalExpr>>,
    /// The replaced filter's own projection (column indices).
    filter_projection: Option<Vec<usize>>,
    /// Applied bottom-up after the filter.
    projections: Vec<Projection>,
    /// Per aggregate, the expressions whose values it accumulates.
    arguments: Vec<Vec<Arc<dyn PhysicalExpr>>>,
    flush_groups: usize,
}

/// Group keys and accumulator arguments of one batch.
struct Evaluated {
    keys: Vec<ArrayRef>,
    arguments: Vec<Vec<ArrayRef>>,
}

impl Plan {
    /// The input batch after the filter's projection and every projection
    /// step, without dropping rows.
    fn project(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let mut batch = match &self.filter_projection {
            Some(p) => batch.project(p)?,
            None => batch.clone(),
        };
        for step in &self.projections {
            let columns = step
                .exprs
                .iter()
                .map(|e| e.evaluate(&batch).and_then(|v| v.into_array(batch.num_rows())))
                .collect::<Result<Vec<_>>>()?;
            let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
            batch = RecordBatch::try_new_with_options(Arc::clone(&step.schema), columns, &options)?;
        }
        Ok(batch)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<Evaluated> {
        let projected = self.project(batch)?;
        let Some(keys) = evaluate_group_by(self.aggregate.group_expr(), &projected)?.pop() else {
            return internal_err!("a masked aggregation has one grouping set");
        };
        Ok(Evaluated {
            keys,
            arguments: evaluate_many(&self.arguments, &projected)?,
        })
    }
}

/// Group ids, accumulators and which groups a passing row touched.
struct Table {
    values: Box<dyn GroupValues>,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    live: Vec<bool>,
    /// `GroupValues` ids of the current batch.
    ids: Vec<usize>,
    /// Accumulator ids of the current batch: 0 for a dropped row.
    slots: Vec<usize>,
}

impl Table {
    fn new(aggregate: &AggregateExec) -> Result<Self> {
        let keys = aggregate.group_expr().group_schema(&aggregate.input().schema())?;
        Ok(Self {
            values: new_group_values(keys, &GroupOrdering::None)?,
            accumulators: aggregate
                .aggr_expr()
                .iter()
                .map(|a| a.create_groups_accumulator())
                .collect::<Result<_>>()?,
            live: Vec::new(),
            ids: Vec::new(),
            slots: Vec::new(),
        })
    }

    /// Adds the rows of `evaluated` that `mask` sets (all if `None`).
    fn update(&mut self, evaluated: &Evaluated, mask: Option<&BooleanArray>) -> Result<()> {
        self.values.intern(&evaluated.keys, &mut self.ids)?;
        self.live.resize(self.values.len(), false);
        self.slots.clear();
        match mask {
            Some(m) => {
                for (&g, keep) in self.ids.iter().zip(m.values()) {
                    self.live[g] |= keep;
                    self.slots.push(if keep { g + 1 } else { 0 });
                }
            }
            None => {
                for &g in &self.ids {
                    self.live[g] = true;
                    self.slots.push(g + 1);
                }
            }
        }
        let slots = self.values.len() + 1;
        for (acc, values) in self.accumulators.iter_mut().zip(&evaluated.arguments) {
            acc.update_batch(values, &self.slots, None, slots)?;
        }
        Ok(())
    }

    /// The partial states of every live group, in batches of at most
    /// [`OUTPUT_ROWS`].
    fn emit(mut self, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let groups = self.values.len();
        if groups == 0 {
            return Ok(Vec::new());
        }
        let mut columns = self.values.emit(EmitTo::All)?;
        for acc in &mut self.accumulators {
            // Slot 0 is the discard group.
            columns.extend(acc.state(EmitTo::All)?.into_iter().map(|s| s.slice(1, groups)));
        }
        let mut batch = RecordBatch::try_new(Arc::clone(schema), columns)?;
        if !self.live.iter().all(|&l| l) {
            batch = filter_record_batch(&batch, &BooleanArray::from(self.live))?;
        }
        Ok((0..batch.num_rows())
            .step_by(OUTPUT_ROWS)
            .map(|at| batch.slice(at, OUTPUT_ROWS.min(batch.num_rows() - at)))
            .collect())
    }
}

/// One execution: pulls input batches, aggregates them, and hands out the
/// partial states as they are flushed and at the end.
struct Run {
    input: SendableRecordBatchStream,
    table: Table,
    plan: Arc<Plan>,
    ready: VecDeque<RecordBatch>,
    finished: bool,
    /// Input rows aggregated so far, and whether aggregating across
    /// batches was given up as useless.
    rows: usize,
    per_batch: bool,
}

impl Run {
    async fn next(&mut self) -> Option<Result<RecordBatch>> {
        loop {
            if let Some(batch) = self.ready.pop_front() {
                return Some(Ok(batch));
            }
            if self.finished {
                return None;
            }
            let step = match self.input.next().await {
                Some(Ok(batch)) => self.push(&batch),
                Some(Err(e)) => Err(e),
                None => {
                    self.finished = true;
                    self.flush()
                }
            };
            if let Err(e) = step {
                self.finished = true;
                self.ready.clear();
                return Some(Err(e));
            }
        }
    }

    fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let rows = batch.num_rows();
        match select(batch, &self.plan.conjuncts)? {
            Selection::Empty => return Ok(()),
            Selection::All => {
                let evaluated = self.plan.evaluate(batch)?;
                self.table.update(&evaluated, None)?;
            }
            Selection::Some(mask) if mask.true_count() as f64 >= MASK_SHARE * rows as f64 => {
                match self.plan.evaluate(batch) {
                    Ok(evaluated) => self.table.update(&evaluated, Some(&mask))?,
                    // Maybe only a dropped row failed: do it as FilterExec would.
                    Err(_) => {
                        let kept = filter_record_batch(batch, &mask)?;
                        let evaluated = self.plan.evaluate(&kept)?;
                        self.table.update(&evaluated, None)?;
                    }
                }
            }
            Selection::Some(mask) => {
                let kept = filter_record_batch(batch, &mask)?;
                let evaluated = self.plan.evaluate(&kept)?;
                self.table.update(&evaluated, None)?;
            }
        }
        self.rows += rows;
        let groups = self.table.values.len();
        if !self.per_batch && self.rows >= SKIP_PROBE_ROWS {
            self.per_batch = groups as f64 > SKIP_RATIO * self.rows as f64;
        }
        if self.per_batch || groups >= self.plan.flush_groups {
            self.flush()?;
        }
        Ok(())
    }

    /// Moves every group's partial state to the output and starts afresh.
    fn flush(&mut self) -> Result<()> {
        let table = std::mem::replace(&mut self.table, Table::new(&self.plan.aggregate)?);
        self.ready.extend(table.emit(&self.plan.aggregate.schema())?);
        Ok(())
    }
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
