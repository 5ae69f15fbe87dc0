//! Arrow Flight data plane: the FE reads tablets with `do_get`.

use std::pin::Pin;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest,
    HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use futures::{Stream, StreamExt, TryStreamExt};
use rpc::ScanTicket;
use tonic::{Request, Response, Status, Streaming};

use crate::storage::TabletStore;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Serves tablet scans over Flight.
pub struct FlightScanService {
    store: Arc<TabletStore>,
}

impl FlightScanService {
    /// A Flight service over `store`.
    pub fn new(store: Arc<TabletStore>) -> Self {
        Self { store }
    }
}

fn unimplemented<T>(what: &str) -> Result<T, Status> {
    Err(Status::unimplemented(format!(
        "{what} is not served by a Starling BE"
    )))
}

#[tonic::async_trait]
impl FlightService for FlightScanService {
    type HandshakeStream = BoxStream<HandshakeResponse>;
    type ListFlightsStream = BoxStream<FlightInfo>;
    type DoGetStream = BoxStream<FlightData>;
    type DoPutStream = BoxStream<PutResult>;
    type DoExchangeStream = BoxStream<FlightData>;
    type DoActionStream = BoxStream<arrow_flight::Result>;
    type ListActionsStream = BoxStream<ActionType>;

    async fn do_get(&self, request: Request<Ticket>) -> Result<Response<Self::DoGetStream>, Status> {
        let ticket = ScanTicket::decode(&request.into_inner().ticket)
            .map_err(|e| Status::invalid_argument(format!("bad scan ticket: {e}")))?;
        let store = Arc::clone(&self.store);
        if let Some(bytes) = ticket.fragment.clone() {
            let output = crate::pushdown::run(store, ticket, &bytes)
                .map_err(|e| Status::invalid_argument(format!("bad plan fragment: {e}")))?;
            let stream = FlightDataEncoderBuilder::new()
                .build(output.map_err(|e| FlightError::ExternalError(Box::new(e))))
                .map_err(|e| Status::internal(e.to_string()));
            return Ok(Response::new(stream.boxed()));
        }
        // Decode on a blocking thread and stream as batches come: a tablet is
        // never held in memory whole (except PRIMARY KEY merges).
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, FlightError>>(4);
        tokio::task::spawn_blocking(move || {
            let sent = store.scan_into(&ticket, |batch| tx.blocking_send(Ok(batch)).is_ok());
            if let Err(e) = sent {
                let _ = tx.blocking_send(Err(FlightError::Tonic(Box::new(Status::from(e)))));
            }
        });
        let input = tokio_stream::wrappers::ReceiverStream::new(rx);
        let stream = FlightDataEncoderBuilder::new()
            .build(input)
            .map_err(|e| Status::internal(e.to_string()));
        Ok(Response::new(stream.boxed()))
    }

    async fn handshake(
        &self,
        _: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        unimplemented("handshake")
    }

    async fn list_flights(&self, _: Request<Criteria>) -> Result<Response<Self::ListFlightsStream>, Status> {
        unimplemented("list_flights")
    }

    async fn get_flight_info(&self, _: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        unimplemented("get_flight_info")
    }

    async fn poll_flight_info(&self, _: Request<FlightDescriptor>) -> Result<Response<PollInfo>, Status> {
        unimplemented("poll_flight_info")
    }

    async fn get_schema(&self, _: Request<FlightDescriptor>) -> Result<Response<SchemaResult>, Status> {
        unimplemented("get_schema")
    }

    async fn do_put(&self, _: Request<Streaming<FlightData>>) -> Result<Response<Self::DoPutStream>, Status> {
        unimplemented("do_put")
    }

    async fn do_exchange(
        &self,
        _: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        unimplemented("do_exchange")
    }

    async fn do_action(&self, _: Request<Action>) -> Result<Response<Self::DoActionStream>, Status> {
        unimplemented("do_action")
    }

    async fn list_actions(&self, _: Request<Empty>) -> Result<Response<Self::ListActionsStream>, Status> {
        unimplemented("list_actions")
    }
}
