//! Partial aggregation on the BEs: a physical optimizer rule that moves each
//! partial `AggregateExec` over a tablet scan — with the filters and
//! projections between them — into the scan as a plan fragment (crate
//! `fragment`). Each BE then aggregates its tablet and sends a few partial
//! rows instead of every row; the final aggregation stays on the FE.
//!
//! ```text
//!   AggregateExec (final)              AggregateExec (final)
//!     RepartitionExec                    RepartitionExec
//!       AggregateExec (partial)   ──▶      TabletScanExec, on backends=[
//!         FilterExec                         AggregateExec (partial) <- FilterExec
//!           TabletScanExec                   <- TabletInput]
//! ```
//!
//! A plan the BE could not decode (the rule checks by decoding it) stays on
//! the FE unchanged.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::Result as DfResult;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, Partitioning};
use fragment::TabletInput;

use super::scan::TabletScanExec;

/// The rule; add it last, after DataFusion's own.
#[derive(Debug, Default)]
pub struct PushAggregates;

impl PhysicalOptimizerRule for PushAggregates {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let rewritten = plan.transform_down(|node| {
            let partial = node
                .downcast_ref::<AggregateExec>()
                .is_some_and(|a| *a.mode() == AggregateMode::Partial);
            if !partial {
                return Ok(Transformed::no(node));
            }
            Ok(match push(&node) {
                Some(scan) => Transformed::new(scan, true, TreeNodeRecursion::Jump),
                None => Transformed::no(node),
            })
        })?;
        Ok(rewritten.data)
    }

    fn name(&self) -> &str {
        "push_aggregates_to_backends"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `aggregate` (a partial one) as a scan running it on the BEs, if the path
/// down to the scan has only row-wise operators.
fn push(aggregate: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
    // Operators between the aggregate and the scan, top-down.
    let mut chain: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
    let mut node = Arc::clone(aggregate.children().first()?);
    let scan = loop {
        if let Some(scan) = node.downcast_ref::<TabletScanExec>() {
            break scan.clone();
        }
        let next = Arc::clone(node.children().first()?);
        if node.is::<FilterExec>() || node.is::<ProjectionExec>() {
            chain.push(node);
        } else if !is_round_robin(&node) {
            return None;
        }
        node = next;
    };
    if scan.has_fragment() {
        return None;
    }
    let mut fragment: Arc<dyn ExecutionPlan> =
        Arc::new(TabletInput::placeholder(Arc::clone(scan.rows_schema())));
    for op in chain.into_iter().rev() {
        fragment = op.replace_children(vec![fragment], RECOMPUTE).ok()?;
    }
    fragment = Arc::clone(aggregate)
        .replace_children(vec![fragment], RECOMPUTE)
        .ok()?;
    let bytes = match fragment::encode(Arc::clone(&fragment)) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::debug!(error = %e, "aggregate stays on the FE: fragment does not encode");
            return None;
        }
    };
    if let Err(e) = fragment::decode(&bytes, None) {
        tracing::debug!(error = %e, "aggregate stays on the FE: fragment does not decode");
        return None;
    }
    Some(Arc::new(scan.with_fragment(fragment, bytes)))
}

const RECOMPUTE: ReplaceChildrenOptions = ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);

fn is_round_robin(node: &Arc<dyn ExecutionPlan>) -> bool {
    node.downcast_ref::<RepartitionExec>()
        .is_some_and(|r| matches!(r.partitioning(), Partitioning::RoundRobinBatch(_)))
}
