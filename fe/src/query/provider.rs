//! An OLAP table as a DataFusion table: prunes partitions and buckets and
//! scans the remaining tablets with [`TabletScanExec`], projection pushed to
//! the BE.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use catalog::{KeysKind, Table};
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use rpc::ScanTicket;
use tonic::transport::Channel;

use super::scan::{TabletRead, TabletScanExec};
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
        let mut tablets = Vec::new();
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
                tablets.push(TabletRead {
                    replicas,
                    ticket: ScanTicket {
                        tablet_id: tablet.id,
                        version: partition.visible_version,
                        columns: Some(fetch.clone()),
                        primary_key: primary_key.clone(),
                        filters: pushed.clone(),
                        fragment: None,
                    },
                });
            }
        }
        if tablets.is_empty() {
            return Ok(Arc::new(EmptyExec::new(out_schema)));
        }
        Ok(Arc::new(TabletScanExec::new(
            self.table.name.clone(),
            out_schema,
            tablets,
            limit,
        )))
    }
}
