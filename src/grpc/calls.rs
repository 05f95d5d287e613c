//! `callscript.v1.Calls`.

use std::{pin::Pin, sync::Arc};

use futures_util::Stream;
use tokio::sync::{mpsc, oneshot};
use tonic::{Request, Response, Status, Streaming};
use tracing::debug;

use super::quality::QualityScoring;
use super::{
    convert::{self, InvalidRequest},
    pb::{self, calls_server::Calls},
};
use crate::engine::{CallRecord, Engine, StartCall, TurnView};

pub struct CallsService {
    engine: Engine,
    quality: Option<QualityScoring>,
}

impl CallsService {
    pub fn new(engine: Engine) -> Self {
        CallsService {
            engine,
            quality: None,
        }
    }

    /// Call records (GetCall, EndCall) carry the call's quality score (N18).
    pub fn with_quality(mut self, scoring: QualityScoring) -> Self {
        self.quality = Some(scoring);
        self
    }

    fn record(&self, record: CallRecord) -> pb::CallRecord {
        let quality = self.quality.as_ref().map(|q| q.record_quality(&record));
        pb::CallRecord {
            quality,
            ..record.into()
        }
    }
}

type TurnStream = Pin<Box<dyn Stream<Item = Result<pb::Turn, Status>> + Send>>;

#[tonic::async_trait]
impl Calls for CallsService {
    async fn start_call(
        &self,
        req: Request<pb::StartCallRequest>,
    ) -> Result<Response<pb::Turn>, Status> {
        let start = StartCall::try_from(req.into_inner())?;
        let view = self.engine.start_call(start, None)?;
        Ok(Response::new(pb::Turn::from(&*view)))
    }

    async fn send_event(&self, req: Request<pb::CallEvent>) -> Result<Response<pb::Turn>, Status> {
        let pb::CallEvent { call_id, seq, kind } = req.into_inner();
        let call_id = convert::call_id("call_id", &call_id)?;
        let event = convert::event(kind)?;
        let view = self.engine.send_event(&call_id, seq, event)?;
        Ok(Response::new(pb::Turn::from(&*view)))
    }

    type ConverseStream = TurnStream;

    async fn converse(
        &self,
        req: Request<Streaming<pb::CallEvent>>,
    ) -> Result<Response<TurnStream>, Status> {
        let mut inbound = req.into_inner();
        let first = inbound.message().await?.ok_or_else(|| {
            Status::invalid_argument("start: the stream ended before its first message")
        })?;
        let pb::CallEvent {
            call_id: outer_id,
            seq: _,
            kind,
        } = first;
        let Some(pb::call_event::Kind::Start(mut start)) = kind else {
            return Err(Status::invalid_argument(
                "start: the first message of Converse must carry `start`",
            ));
        };
        if start.call_id.is_empty() {
            start.call_id = outer_id;
        }
        let start = StartCall::try_from(start)?;

        let (turns_tx, turns_rx) = mpsc::unbounded_channel::<Arc<TurnView>>();
        let (errors_tx, errors_rx) = mpsc::unbounded_channel::<Status>();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        // The first turn goes to the stream through the subscriber.
        let first = self.engine.start_call(start, Some(turns_tx))?;
        // The id may have been assigned by the engine.
        let call_id = first.call_id.to_string();

        tokio::spawn(read_events(
            self.engine.clone(),
            call_id,
            inbound,
            errors_tx,
            done_rx,
        ));
        Ok(Response::new(Box::pin(turn_stream(
            turns_rx, errors_rx, done_tx,
        ))))
    }

    async fn end_call(
        &self,
        req: Request<pb::EndCallRequest>,
    ) -> Result<Response<pb::CallRecord>, Status> {
        let pb::EndCallRequest { call_id } = req.into_inner();
        let call_id = convert::call_id("call_id", &call_id)?;
        Ok(Response::new(self.record(self.engine.end_call(&call_id)?)))
    }

    async fn get_call(
        &self,
        req: Request<pb::GetCallRequest>,
    ) -> Result<Response<pb::CallRecord>, Status> {
        let pb::GetCallRequest { call_id } = req.into_inner();
        let call_id = convert::call_id("call_id", &call_id)?;
        Ok(Response::new(self.record(self.engine.get_call(&call_id)?)))
    }
}

/// Feeds a Converse stream's events to the engine. The engine pushes the
/// resulting turns to the stream itself (in order with timer turns).
///
/// Ends when the client half-closes (the call goes on, driven by server
/// timers, until it ends), when the stream breaks (the front-end is gone:
/// the call ends as `FrontEndLost`), on a bad event (reported as the
/// stream's status), or when the response stream finishes (`done`).
async fn read_events(
    engine: Engine,
    call_id: String,
    mut inbound: Streaming<pb::CallEvent>,
    errors: mpsc::UnboundedSender<Status>,
    mut done: oneshot::Receiver<()>,
) {
    loop {
        // Both branches are cancel-safe: `message()` keeps partial frames in
        // the stream, and `done` is a oneshot.
        let msg = tokio::select! {
            msg = inbound.message() => msg,
            _ = &mut done => return,
        };
        match msg {
            Ok(Some(pb::CallEvent {
                call_id: id,
                seq,
                kind,
            })) => {
                if !id.is_empty() && id != call_id {
                    let e = InvalidRequest::Invalid {
                        field: "call_id",
                        problem: format!("{id:?} is not this stream's call {call_id:?}"),
                    };
                    let _ = errors.send(e.into());
                    engine.disconnected(&call_id);
                    return;
                }
                let result = convert::event(kind)
                    .map_err(Status::from)
                    .and_then(|event| {
                        engine
                            .send_event(&call_id, seq, event)
                            .map_err(Status::from)
                    });
                if let Err(status) = result {
                    let _ = errors.send(status);
                    engine.disconnected(&call_id);
                    return;
                }
            }
            Ok(None) => return,
            Err(status) => {
                debug!(%call_id, %status, "Converse stream broke");
                engine.disconnected(&call_id);
                return;
            }
        }
    }
}

/// Turns until the call ends, or the first error.
fn turn_stream(
    turns: mpsc::UnboundedReceiver<Arc<TurnView>>,
    errors: mpsc::UnboundedReceiver<Status>,
    done: oneshot::Sender<()>,
) -> impl Stream<Item = Result<pb::Turn, Status>> + Send {
    struct St {
        turns: mpsc::UnboundedReceiver<Arc<TurnView>>,
        errors: Option<mpsc::UnboundedReceiver<Status>>,
        _done: oneshot::Sender<()>,
    }
    let st = Some(St {
        turns,
        errors: Some(errors),
        _done: done,
    });
    futures_util::stream::unfold(st, |st| async move {
        let mut st = st?;
        loop {
            tokio::select! {
                biased;
                turn = st.turns.recv() => {
                    return turn.map(|view| (Ok(pb::Turn::from(&*view)), Some(st)));
                }
                err = async { st.errors.as_mut()?.recv().await }, if st.errors.is_some() => match err {
                    Some(status) => return Some((Err(status), None)),
                    None => st.errors = None,
                },
            }
        }
    })
}
