//! Running a plan fragment from the FE over a tablet's rows (see the
//! `fragment` crate): the FE pushes a partial aggregation, with the filters
//! and projections under it, so that only partial results leave the BE.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use fragment::RowSource;
use futures::StreamExt;
use rpc::ScanTicket;

use crate::storage::TabletStore;

/// The output of `bytes`, a fragment, run over the rows `ticket` selects.
pub fn run(
    store: Arc<TabletStore>,
    ticket: ScanTicket,
    bytes: &[u8],
) -> Result<SendableRecordBatchStream, DataFusionError> {
    let source: RowSource = Arc::new(move |schema| Ok(rows(Arc::clone(&store), ticket.clone(), schema)));
    let plan = fragment::decode(bytes, Some(source))?;
    let plan = fragment::fast_filters(fragment::masked_aggregates(plan)?)?;
    plan.execute(0, fragment::task_context())
}

/// The tablet's rows in `schema`, read on a blocking thread and streamed as
/// they are decoded.
fn rows(store: Arc<TabletStore>, ticket: ScanTicket, schema: SchemaRef) -> SendableRecordBatchStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, DataFusionError>>(4);
    let out = Arc::clone(&schema);
    tokio::task::spawn_blocking(move || {
        let sent = store.scan_into(&ticket, |batch| {
            tx.blocking_send(fragment::conform(&out, batch)).is_ok()
        });
        if let Err(e) = sent {
            let _ = tx.blocking_send(Err(DataFusionError::External(Box::new(e))));
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx).boxed();
    Box::pin(RecordBatchStreamAdapter::new(schema, stream))
}
