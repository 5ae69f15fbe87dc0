//! The leaf of a fragment: the rows of the tablet the fragment runs over.

use std::fmt;
use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions};
use arrow::datatypes::{Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, ReplaceChildrenOptions};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};

/// Opens the stream of a tablet's rows in the schema it is given (the
/// fragment's input schema).
pub type RowSource = Arc<dyn Fn(SchemaRef) -> Result<SendableRecordBatchStream> + Send + Sync>;

/// A tablet's rows as the one partition of a fragment's input. On the FE it
/// is a placeholder that only carries the schema; on a BE it has a source.
#[derive(Clone)]
pub struct TabletInput {
    schema: SchemaRef,
    source: Option<RowSource>,
    properties: Arc<PlanProperties>,
}

impl TabletInput {
    /// The FE's placeholder: the schema of the rows the BE will supply.
    pub fn placeholder(schema: SchemaRef) -> Self {
        Self::new(schema, None)
    }

    /// The BE's input, reading the tablet through `source`.
    pub fn with_source(schema: SchemaRef, source: RowSource) -> Self {
        Self::new(schema, Some(source))
    }

    fn new(schema: SchemaRef, source: Option<RowSource>) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            schema,
            source,
            properties: Arc::new(properties),
        }
    }
}

impl fmt::Debug for TabletInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TabletInput")
            .field("schema", &self.schema)
            .field("has_source", &self.source.is_some())
            .finish()
    }
}

impl DisplayAs for TabletInput {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<&str> = self.schema.fields().iter().map(|c| c.name().as_str()).collect();
        write!(f, "TabletInput: columns=[{}]", names.join(", "))
    }
}

impl ExecutionPlan for TabletInput {
    fn name(&self) -> &str {
        "TabletInput"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !children.is_empty() {
            return internal_err!("TabletInput has no children");
        }
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !children.is_empty() {
            return internal_err!("TabletInput has no children");
        }
        Ok(self)
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("TabletInput has one partition, not {}", partition + 1);
        }
        match &self.source {
            Some(source) => source(Arc::clone(&self.schema)),
            None => internal_err!("a fragment's TabletInput runs only on a backend"),
        }
    }
}

/// `batch`, a tablet's rows as a BE reads them, in `schema`: the plan's
/// names, its types (a column of another type is cast), and for a schema
/// without columns (`COUNT(*)`) only the row count.
pub fn conform(schema: &SchemaRef, batch: RecordBatch) -> Result<RecordBatch> {
    if schema.fields().is_empty() {
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        return Ok(RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &options,
        )?);
    }
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        columns.push(if column.data_type() == field.data_type() {
            Arc::clone(column)
        } else {
            arrow::compute::cast(column, field.data_type())?
        });
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
