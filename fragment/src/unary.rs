//! What the fragment's one-input operators share: taking their one child and
//! visiting their expressions.

use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};

/// The only element of `children`; an error naming `operator` otherwise.
pub(crate) fn only_child(
    children: Vec<Arc<dyn ExecutionPlan>>,
    operator: &str,
) -> Result<Arc<dyn ExecutionPlan>> {
    let [input] = <[Arc<dyn ExecutionPlan>; 1]>::try_from(children)
        .map_err(|_| DataFusionError::Internal(format!("{operator} has one input")))?;
    Ok(input)
}

/// Options for `with_new_children`: the operator's properties stay.
pub(crate) fn keep_properties() -> ReplaceChildrenOptions {
    ReplaceChildrenOptions::new(ChildrenPropertiesMode::Keep)
}

/// Calls `f` on each of `exprs` until it says stop.
pub(crate) fn visit<'a>(
    exprs: impl IntoIterator<Item = &'a Arc<dyn PhysicalExpr>>,
    f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
) -> Result<TreeNodeRecursion> {
    for e in exprs {
        if f(e)? == TreeNodeRecursion::Stop {
            return Ok(TreeNodeRecursion::Stop);
        }
    }
    Ok(TreeNodeRecursion::Continue)
}
