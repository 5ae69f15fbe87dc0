//! An OLAP table as a DataFusion table: one stream per tablet, read from one
//! alive replica over Arrow Flight with the projection pushed to the BE.

use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions};
use arrow::datatypes::{Schema, SchemaRef};
use arrow_flight::{FlightClient, Ticket};
use async_trait::async_trait;
use catalog::{KeysKind, Table};
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::execution_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use futures::{StreamExt, TryStreamExt};
use rpc::ScanTicket;
use tonic::transport::Channel;

use super::{prune, types};

/// A replica a tablet can be read from.
#[derive(Debug, Clone)]
pub struct ReplicaEndpoint {
    /// `host:port`, for messages.
    pub address: String,
    /// Connection to the BE (shared with its task service).
    pub channel: Channel,
}

/// Where each backend can be reached, alive ones only.
pub type Endpoints = std::collections::HashMap<u64, ReplicaEndpoint>;

/// An OLAP table snapshot: queries read each partition at its visible version
/// as of planning.
#[derive(Debug)]
pub struct OlapTableProvider {
    table: Table,
    schema: SchemaRef,
    endpoints: Arc<Endpoints>,
}

impl OlapTableProvider {
    /// The catalog table this provider reads.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// A provider over `table`, reading from `endpoints`.
    pub fn new(table: Table, endpoints: Arc<Endpoints>) -> Self {
        let schema = types::query_schema(&table);
        Self {
            table,
            schema,
            endpoints,
        }
    }
}

#[async_trait]
impl TableProvider for OlapTableProvider {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DfResult<Vec<TableProviderFilterPushDown>> {
        // Filters prune tablets; DataFusion still applies them to every row.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let out_schema = Arc::new(self.schema.project(&indices)?);
        // Zero columns (COUNT(*)): fetch the first column for its row count.
        let fetch: Vec<String> = if indices.is_empty() {
            vec![self.table.columns[0].name.clone()]
        } else {
            indices
                .iter()
                .map(|i| self.table.columns[*i].name.clone())
                .collect()
        };
        let primary_key = (self.table.keys_kind == KeysKind::Primary).then(|| {
            self.table
                .columns
                .iter()
                .filter(|c| c.is_key)
                .map(|c| c.name.clone())
                .collect()
        });
        let buckets = prune::buckets(&self.table, filters);
        let pushed = prune::pushable(&self.table, filters);
        let mut streams: Vec<Arc<dyn PartitionStream>> = Vec::new();
        for p in prune::partitions(&self.table, filters) {
            let partition = &self.table.partitions[p];
            for b in &buckets {
                let Some(tablet) = partition.tablets.get(*b) else {
                    continue;
                };
                let replicas: Vec<ReplicaEndpoint> = tablet
                    .replicas
                    .iter()
                    .filter_map(|r| self.endpoints.get(&r.backend_id).cloned())
                    .collect();
                streams.push(Arc::new(TabletStream {
                    schema: Arc::clone(&out_schema),
                    tablet_id: tablet.id,
                    replicas,
                    ticket: ScanTicket {
                        tablet_id: tablet.id,
                        version: partition.visible_version,
                        columns: Some(fetch.clone()),
                        primary_key: primary_key.clone(),
                        filters: pushed.clone(),
                    },
                }));
            }
        }
        if streams.is_empty() {
            return Ok(Arc::new(EmptyExec::new(out_schema)));
        }
        Ok(Arc::new(StreamingTableExec::try_new(
            out_schema,
            streams,
            None,
            vec![],
            false,
            limit,
        )?))
    }
}

/// One tablet's rows.
#[derive(Debug)]
struct TabletStream {
    schema: SchemaRef,
    tablet_id: u64,
    replicas: Vec<ReplicaEndpoint>,
    ticket: ScanTicket,
}

impl PartitionStream for TabletStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&self.schema);
        let replicas = self.replicas.clone();
        let ticket = self.ticket.encode();
        let tablet_id = self.tablet_id;
        let out = Arc::clone(&schema);
        let batches = futures::stream::once(async move {
            let mut last_error = format!("no alive replica of tablet {tablet_id}");
            for replica in replicas {
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
        })
        .try_flatten()
        .map(move |batch| batch.and_then(|b| conform(&out, b)));
        Box::pin(RecordBatchStreamAdapter::new(schema, batches))
    }
}

/// Gives a batch from a BE the query's schema (names and, for COUNT(*), no columns).
fn conform(schema: &SchemaRef, batch: RecordBatch) -> DfResult<RecordBatch> {
    if schema.fields().is_empty() {
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        return Ok(RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &options,
        )?);
    }
    Ok(RecordBatch::try_new(
        Arc::clone(schema),
        batch.columns().to_vec(),
    )?)
}
