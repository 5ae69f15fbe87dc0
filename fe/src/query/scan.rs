//! The scan of an OLAP table: one partition per tablet (at most 64; more tablets
//! share partitions and are read in turn), each tablet read from one
//! alive replica over Arrow Flight (the next replica when one fails). With a
//! plan fragment ([`pushdown`](super::pushdown)), each BE runs the fragment
//! over its tablet and returns the fragment's output instead of the rows.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow_flight::{FlightClient, Ticket};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, ReplaceChildrenOptions};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, displayable,
};
use futures::{StreamExt, TryStreamExt};
use rpc::ScanTicket;

use super::provider::ReplicaEndpoint;

/// One tablet to read: the ticket for its BE and the replicas to try, in order.
#[derive(Debug, Clone)]
pub struct TabletRead {
    /// What to ask the BE for.
    pub ticket: ScanTicket,
    /// Alive replicas of the tablet.
    pub replicas: Vec<ReplicaEndpoint>,
}

/// Reads tablets; see the module docs.
#[derive(Debug, Clone)]
pub struct TabletScanExec {
    table: String,
    tablets: Vec<TabletRead>,
    /// The schema of the tablets' rows as this scan reads them.
    rows_schema: SchemaRef,
    /// The plan each BE runs over its rows, if any.
    fragment: Option<Arc<dyn ExecutionPlan>>,
    /// Rows each partition may stop after (only without a fragment).
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
}

impl TabletScanExec {
    /// A scan of `tablets` of `table` returning rows in `schema`.
    pub fn new(table: String, schema: SchemaRef, tablets: Vec<TabletRead>, limit: Option<usize>) -> Self {
        let properties = properties(Arc::clone(&schema), tablets.len());
        Self {
            table,
            tablets,
            rows_schema: schema,
            fragment: None,
            limit,
            properties,
        }
    }

    /// The schema of the rows read from the tablets (a fragment's input).
    pub fn rows_schema(&self) -> &SchemaRef {
        &self.rows_schema
    }

    /// Whether a fragment is already pushed.
    pub fn has_fragment(&self) -> bool {
        self.fragment.is_some()
    }

    /// This scan with `fragment` run on the BEs: its output is the fragment's.
    pub fn with_fragment(&self, fragment: Arc<dyn ExecutionPlan>, bytes: Vec<u8>) -> Self {
        let mut tablets = self.tablets.clone();
        for t in &mut tablets {
            t.ticket.fragment = Some(bytes.clone());
            // The fragment holds the plan's filters; the BE need not apply
            // the scan's copies of them first.
            t.ticket.filters.clear();
        }
        Self {
            table: self.table.clone(),
            tablets,
            rows_schema: Arc::clone(&self.rows_schema),
            properties: properties(fragment.schema(), self.tablets.len()),
            fragment: Some(fragment),
            limit: None,
        }
    }
}

/// Most partitions a scan has: tablets beyond that share a partition and are
/// read one after another, so a table of 10,000 tablets does not open 10,000
/// Flight streams at once (their HTTP/2 connection failed with a broken pipe).
const MAX_PARTITIONS: usize = 64;

/// The partitions of a scan of `tablets` tablets.
fn partition_count(tablets: usize) -> usize {
    tablets.clamp(1, MAX_PARTITIONS)
}

fn properties(schema: SchemaRef, tablets: usize) -> Arc<PlanProperties> {
    Arc::new(PlanProperties::new(
        EquivalenceProperties::new(schema),
        Partitioning::UnknownPartitioning(partition_count(tablets)),
        EmissionType::Incremental,
        Boundedness::Bounded,
    ))
}

impl DisplayAs for TabletScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<&str> = self
            .rows_schema
            .fields()
            .iter()
            .map(|c| c.name().as_str())
            .collect();
        write!(
            f,
            "TabletScanExec: table={}, tablets={}, columns=[{}]",
            self.table,
            self.tablets.len(),
            names.join(", ")
        )?;
        if let Some(limit) = self.limit {
            write!(f, ", limit={limit}")?;
        }
        if let Some(fragment) = &self.fragment {
            // The fragment is a chain: print it top-down on one line.
            let mut steps = Vec::new();
            let mut node = Some(Arc::clone(fragment));
            while let Some(n) = node {
                steps.push(displayable(n.as_ref()).one_line().to_string().trim().to_string());
                node = n.children().first().map(|c| Arc::clone(*c));
            }
            write!(f, ", on backends=[{}]", steps.join(" <- "))?;
        }
        Ok(())
    }
}

impl ExecutionPlan for TabletScanExec {
    fn name(&self) -> &str {
        "TabletScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let partitions = partition_count(self.tablets.len());
        if partition >= partitions {
            return Err(DataFusionError::Internal(format!(
                "TabletScanExec has {partitions} partitions, not {}",
                partition + 1
            )));
        }
        let schema = self.schema();
        // This partition's tablets, read one after another.
        let reads: Vec<TabletRead> = self
            .tablets
            .iter()
            .skip(partition)
            .step_by(partitions)
            .cloned()
            .collect();
        let out = Arc::clone(&schema);
        let batches = futures::stream::iter(reads)
            .then(read_tablet)
            .try_flatten()
            .map(move |batch| batch.and_then(|b| fragment::conform(&out, b)));
        let stream: SendableRecordBatchStream =
            Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&schema), batches));
        Ok(match self.limit {
            Some(limit) => limited(stream, limit),
            None => stream,
        })
    }
}

/// Opens the Flight stream of one tablet from its first replica that answers.
async fn read_tablet(
    read: TabletRead,
) -> DfResult<impl futures::Stream<Item = DfResult<arrow::array::RecordBatch>>> {
    let tablet_id = read.ticket.tablet_id;
    let ticket = read.ticket.encode();
    let mut last_error = format!("no alive replica of tablet {tablet_id}");
    for replica in read.replicas {
        let mut client = FlightClient::new(replica.channel.clone());
        match client.do_get(Ticket::new(ticket.clone())).await {
            Ok(stream) => {
                let address = replica.address.clone();
                return Ok(stream.map_err(move |e| {
                    DataFusionError::External(
                        format!("reading tablet {tablet_id} from backend {address}: {e}").into(),
                    )
                }));
            }
            Err(e) => {
                last_error = format!("reading tablet {tablet_id} from backend {}: {e}", replica.address);
                tracing::warn!(tablet_id, backend = %replica.address, error = %e, "tablet read failed; trying next replica");
            }
        }
    }
    Err(DataFusionError::External(last_error.into()))
}

/// `stream` cut after `limit` rows.
fn limited(stream: SendableRecordBatchStream, limit: usize) -> SendableRecordBatchStream {
    let schema = stream.schema();
    let cut = stream.scan(limit, |left, item| {
        if *left == 0 {
            return futures::future::ready(None);
        }
        let item = item.map(|batch| {
            let keep = batch.num_rows().min(*left);
            *left -= keep;
            batch.slice(0, keep)
        });
        futures::future::ready(Some(item))
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, cut))
}
