//! The DataFusion session over Starling's catalog.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use catalog::{Catalog, TableState};
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::displayable;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::provider::{Endpoints, OlapTableProvider, ReplicaEndpoint};
use crate::cluster::Cluster;
use crate::error::{ErrorCode, FeError};
use crate::privilege::Grants;

/// The name StarRocks gives its internal catalog.
pub const DEFAULT_CATALOG: &str = "default_catalog";

/// Databases as DataFusion schemas.
#[derive(Debug)]
struct StarlingCatalog {
    catalog: Arc<Catalog>,
    cluster: Arc<Cluster>,
    endpoints: Arc<Endpoints>,
    grants: Arc<Grants>,
}

impl CatalogProvider for StarlingCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.catalog.read().databases().map(|d| d.name.clone()).collect();
        names.push(super::information_schema::NAME.to_string());
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if name.eq_ignore_ascii_case(super::information_schema::NAME) {
            return Some(Arc::new(super::information_schema::InformationSchema {
                catalog: Arc::clone(&self.catalog),
                cluster: Arc::clone(&self.cluster),
                grants: Arc::clone(&self.grants),
            }));
        }
        let state = self.catalog.read();
        let db = state
            .database(name)
            .or_else(|| state.databases().find(|d| d.name.eq_ignore_ascii_case(name)))?;
        Some(Arc::new(DatabaseSchema {
            db_id: db.id,
            catalog: Arc::clone(&self.catalog),
            endpoints: Arc::clone(&self.endpoints),
        }))
    }
}

/// One database's tables.
#[derive(Debug)]
struct DatabaseSchema {
    db_id: u64,
    catalog: Arc<Catalog>,
    endpoints: Arc<Endpoints>,
}

#[async_trait]
impl SchemaProvider for DatabaseSchema {
    fn table_names(&self) -> Vec<String> {
        self.catalog
            .read()
            .tables(self.db_id)
            .map(|t| t.name.clone())
            .collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let table = {
            let state = self.catalog.read();
            state
                .table(self.db_id, name)
                .or_else(|| {
                    state
                        .tables(self.db_id)
                        .find(|t| t.name.eq_ignore_ascii_case(name))
                })
                .cloned()
        };
        let Some(table) = table else {
            return Ok(None);
        };
        if table.state != TableState::Normal {
            return Err(DataFusionError::Plan(format!(
                "Table state is not NORMAL: '{}'",
                "RESTORING"
            )));
        }
        Ok(Some(Arc::new(OlapTableProvider::new(
            table,
            Arc::clone(&self.endpoints),
        ))))
    }

    fn table_exist(&self, name: &str) -> bool {
        let state = self.catalog.read();
        state.table(self.db_id, name).is_some()
            || state
                .tables(self.db_id)
                .any(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// Alive backends and their connections, captured when a query starts.
fn endpoints(catalog: &Catalog, cluster: &Cluster) -> Result<Endpoints, FeError> {
    let mut map = Endpoints::new();
    for be in cluster.alive_backends() {
        let channel = cluster.channel(&be)?;
        map.insert(
            be.id,
            ReplicaEndpoint {
                address: be.address(),
                channel,
            },
        );
    }
    let _ = catalog;
    Ok(map)
}

/// A DataFusion session for one statement, with `database` as default schema;
/// `information_schema` shows what `grants` may see. Partial aggregates run
/// on the BEs.
pub fn session(
    catalog: &Arc<Catalog>,
    cluster: &Arc<Cluster>,
    database: Option<&str>,
    grants: &Grants,
) -> Result<SessionContext, FeError> {
    session_with(catalog, cluster, database, grants, true)
}

/// [`session`], with partial aggregates on the BEs only if `push_aggregates`
/// (StarRocks' `new_planner_agg_stage = 1`, one-stage aggregation, turns it off).
pub fn session_with(
    catalog: &Arc<Catalog>,
    cluster: &Arc<Cluster>,
    database: Option<&str>,
    grants: &Grants,
    push_aggregates: bool,
) -> Result<SessionContext, FeError> {
    let mut config = SessionConfig::new()
        .with_default_catalog_and_schema(DEFAULT_CATALOG, database.unwrap_or("information_schema"))
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .with_information_schema(false)
        .with_create_default_catalog_and_schema(false);
    config.options_mut().sql_parser.dialect = datafusion::config::Dialect::MySQL;
    let mut state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .with_optimizer_rule(Arc::new(super::decimal_literals::AlignDecimalLiterals));
    if push_aggregates {
        state = state.with_physical_optimizer_rule(Arc::new(super::pushdown::PushAggregates));
    }
    let state = state.build();
    let ctx = SessionContext::new_with_state(state);
    fragment::functions::register(&ctx);
    ctx.register_catalog(
        DEFAULT_CATALOG,
        Arc::new(StarlingCatalog {
            catalog: Arc::clone(catalog),
            cluster: Arc::clone(cluster),
            endpoints: Arc::new(endpoints(catalog, cluster)?),
            grants: Arc::new(grants.clone()),
        }),
    );
    Ok(ctx)
}

/// Maps a DataFusion error to what the client sees, in StarRocks' words where
/// StarRocks has them.
pub fn df_error(e: DataFusionError) -> FeError {
    let root = e.find_root();
    match root {
        DataFusionError::SQL(err, _) => {
            FeError::Syntax(format!("Getting syntax error. Detail message: {err}."))
        }
        DataFusionError::Plan(msg) if msg.contains("Table state is not NORMAL") => FeError::Analysis {
            code: ErrorCode::BadTableState,
            message: msg.clone(),
        },
        DataFusionError::Plan(msg) => match unknown_table(msg) {
            Some(name) if name.starts_with("information_schema.") => FeError::no_db(),
            Some(name) => FeError::unknown_table(&name),
            None => FeError::analysis(msg.clone()),
        },
        DataFusionError::SchemaError(err, _) => match err.as_ref() {
            datafusion::common::SchemaError::FieldNotFound { field, .. } => {
                FeError::analysis(format!("Column '{}' cannot be resolved", field.name()))
            }
            other => FeError::analysis(other.to_string()),
        },
        DataFusionError::NotImplemented(msg) => FeError::not_supported(msg.clone()),
        _ => FeError::common(e.to_string()),
    }
}

/// `db.table` from DataFusion's "table 'catalog.db.table' not found".
fn unknown_table(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("table '")?;
    let name = rest.strip_suffix("' not found")?;
    let name = name.strip_prefix(&format!("{DEFAULT_CATALOG}.")).unwrap_or(name);
    Some(name.to_string())
}

/// Plans a query, lets `authorize` inspect the plan, then runs it and collects
/// the result.
pub async fn run(
    ctx: &SessionContext,
    sql: &str,
    authorize: impl FnOnce(&LogicalPlan) -> Result<(), FeError>,
) -> Result<(SchemaRef, Vec<RecordBatch>), FeError> {
    let (schema, stream) = stream(ctx, sql, authorize).await?;
    let batches = datafusion::physical_plan::common::collect(stream)
        .await
        .map_err(df_error)?;
    Ok((schema, batches))
}

/// Plans a query, lets `authorize` inspect the plan, then starts it: its
/// batches come as they are computed.
pub async fn stream(
    ctx: &SessionContext,
    sql: &str,
    authorize: impl FnOnce(&LogicalPlan) -> Result<(), FeError>,
) -> Result<(SchemaRef, SendableRecordBatchStream), FeError> {
    let df = ctx
        .sql(&super::mysql_compat::rewrite(sql))
        .await
        .map_err(df_error)?;
    authorize(df.logical_plan())?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.execute_stream().await.map_err(df_error)?;
    Ok((schema, batches))
}

/// The plan of a query as text: the optimized logical plan, or the physical
/// plan that would run.
pub async fn explain(
    ctx: &SessionContext,
    sql: &str,
    logical: bool,
    authorize: impl FnOnce(&LogicalPlan) -> Result<(), FeError>,
) -> Result<String, FeError> {
    let df = ctx
        .sql(&super::mysql_compat::rewrite(sql))
        .await
        .map_err(df_error)?;
    authorize(df.logical_plan())?;
    if logical {
        let plan = ctx.state().optimize(df.logical_plan()).map_err(df_error)?;
        return Ok(plan.display_indent().to_string());
    }
    let plan = df.create_physical_plan().await.map_err(df_error)?;
    Ok(displayable(plan.as_ref()).indent(true).to_string())
}
