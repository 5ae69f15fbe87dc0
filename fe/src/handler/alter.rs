//! ALTER TABLE: ADD PARTITION, DROP PARTITION, RENAME.

use catalog::{Change, Partitioning, Table};
use parser::ast::{AlterTableOp, TableName};

use super::resolve_table;
use super::table::{new_partitions, replicas_of};
use crate::Fe;
use crate::ddl::table_def::plan_ranges;
use crate::error::{ErrorCode, FeError};
use crate::result::Output;
use crate::session::Session;

/// `ALTER TABLE t <op>`.
pub async fn alter_table(
    fe: &Fe,
    session: &Session,
    name: &TableName,
    op: AlterTableOp,
) -> Result<Output, FeError> {
    let (db, table) = resolve_table(fe, session, name)?;
    match op {
        AlterTableOp::AddPartition(def) => {
            if !matches!(table.partitioning, Partitioning::Range { .. }) {
                return Err(FeError::common(format!(
                    "Alter table [{}] failed. Not a partitioned table",
                    table.name
                )));
            }
            if table.partition(&def.name).is_some() {
                return if def.if_not_exists {
                    Ok(Output::ok())
                } else {
                    Err(FeError::exec(
                        ErrorCode::SameNamePartition,
                        format!("Duplicate partition name {}", def.name),
                    ))
                };
            }
            let types = table.partition_column_types();
            let existing: Vec<_> = table
                .partitions
                .iter()
                .filter_map(|p| p.range.as_ref().map(|r| (p.name.as_str(), r)))
                .collect();
            let plans = plan_ranges(std::slice::from_ref(&def), &types, &existing)?;
            let fresh = new_partitions(fe, &table, &plans).await?;
            let added = fe.catalog.update(|txn| {
                let mut current = current(txn.state(), &table)?;
                // Re-check against partitions added concurrently.
                let existing: Vec<_> = current
                    .partitions
                    .iter()
                    .filter_map(|p| p.range.as_ref().map(|r| (p.name.as_str(), r)))
                    .collect();
                plan_ranges(std::slice::from_ref(&def), &types, &existing)?;
                current.partitions.extend(fresh.iter().cloned());
                current.partitions.sort_by(|a, b| {
                    a.range
                        .as_ref()
                        .map(|r| &r.lower)
                        .cmp(&b.range.as_ref().map(|r| &r.lower))
                });
                txn.push(Change::PutTable(Box::new(current)));
                Ok(())
            });
            if let Err(e) = added {
                let replicas = replicas_of(fe, &fresh);
                fe.cluster.drop_tablets(replicas).await;
                return Err(e);
            }
            Ok(Output::ok())
        }
        AlterTableOp::DropPartition { if_exists, name, .. } => {
            if !matches!(table.partitioning, Partitioning::Range { .. }) {
                return Err(FeError::common(format!(
                    "Alter table [{}] failed. Not a partitioned table",
                    table.name
                )));
            }
            let dropped = fe.catalog.update(|txn| {
                let mut current = current(txn.state(), &table)?;
                let Some(pos) = current
                    .partitions
                    .iter()
                    .position(|p| p.name.eq_ignore_ascii_case(&name))
                else {
                    return if if_exists {
                        Ok(None)
                    } else {
                        Err(FeError::exec(
                            ErrorCode::DropPartitionNonExistent,
                            format!("Error in list of partitions to {name}"),
                        ))
                    };
                };
                let removed = current.partitions.remove(pos);
                txn.push(Change::PutTable(Box::new(current)));
                Ok(Some(removed))
            })?;
            if let Some(partition) = dropped {
                let replicas = replicas_of(fe, std::slice::from_ref(&partition));
                fe.cluster.drop_tablets(replicas).await;
            }
            Ok(Output::ok())
        }
        AlterTableOp::Rename(new_name) => {
            if new_name == table.name {
                return Err(FeError::common("Same table name"));
            }
            fe.catalog.update(|txn| {
                let mut current = current(txn.state(), &table)?;
                if txn.state().table(db.id, &new_name).is_some() {
                    return Err(FeError::analysis_code(
                        ErrorCode::TableExists,
                        format!("Table '{new_name}' already exists"),
                    ));
                }
                current.name = new_name.clone();
                if let Partitioning::Unpartitioned = current.partitioning {
                    // The single partition carries the table's name, as in StarRocks.
                    if let Some(p) = current.partitions.first_mut() {
                        p.name = new_name.clone();
                    }
                }
                txn.push(Change::PutTable(Box::new(current)));
                crate::privilege::follow_rename(txn, &db.name, &table.name, &new_name);
                Ok(())
            })?;
            Ok(Output::ok())
        }
    }
}

/// The table as it is now in the catalog (it may have changed since analysis).
fn current(state: &catalog::State, table: &Table) -> Result<Table, FeError> {
    let current = state
        .table_by_id(table.id)
        .cloned()
        .ok_or_else(|| FeError::unknown_table(&table.name))?;
    if current.state != catalog::TableState::Normal {
        return Err(FeError::common(format!(
            "Table[{}]'s state is not NORMAL. Do not allow doing ALTER ops",
            current.name
        )));
    }
    Ok(current)
}
