//! `callscript.v1.Calls`.

use std::{
    future::{Future, ready},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use futures_util::Stream;
use tokio::sync::oneshot;
use tonic::{Request, Response, Status, Streaming, transport::server::TlsConnectInfo};
use tracing::{debug, warn};

use super::quality::QualityScoring;
use super::{
    auth::{Client, Standing},
    calls_pb::calls_server::Calls,
    convert::{self, Opening},
    limits::Limits,
    pb,
    status::client_facing,
    wire,
};
use crate::call::Event;
use crate::connections::ConnInfo;
use crate::engine::{
    Anchor, CallError, CallRecord, Engine, Reply, StreamClosed, TurnView,
    mailbox::{self, Receiver, Sender},
};
use crate::transcript::Redactor;

pub struct CallsService {
    engine: Engine,
    limits: Limits,
    quality: Option<QualityScoring>,
}

impl CallsService {
    pub fn new(engine: Engine) -> Self {
        Self::with_limits(engine, Limits::default())
    }

    pub fn with_limits(engine: Engine, limits: Limits) -> Self {
        CallsService {
            engine,
            limits,
            quality: None,
        }
    }

    /// Call records (GetCall, EndCall) carry the call's quality score (N18).
    pub fn with_quality(mut self, scoring: QualityScoring) -> Self {
        self.quality = Some(scoring);
        self
    }

    /// A SendEvent request checked and converted.
    fn event(&self, req: Request<pb::CallEvent>) -> Result<EventRequest, Status> {
        let client = client(&req);
        let (call_id, seq, event) = convert::call_event(&self.limits, req.into_inner())?;
        self.limits.seq("seq", seq)?;
        Ok(EventRequest {
            client,
            call_id,
            seq,
            event,
        })
    }

    /// A record as `client` may see it, with its quality score: scored
    /// on the call as it was, then shown as the client may see it (the
    /// evidence quotes the call's lines).
    fn record(&self, record: CallRecord, client: Option<&Client>) -> pb::CallRecord {
        let quality = self.quality.as_ref().map(|q| q.record_quality(&record));
        let (mut pb, redactor) = shown(record, client);
        pb.quality = quality.map(|mut q| {
            if let Some(redactor) = &redactor {
                for d in &mut q.deductions {
                    d.evidence = redactor.text(&d.evidence);
                }
            }
            q
        });
        pb
    }
}

/// A SendEvent request, checked: who sent it, to which call, and the event.
struct EventRequest {
    client: Option<Arc<Client>>,
    call_id: String,
    seq: u64,
    event: Event,
}

/// What a Converse stream carries: turns, and at most one error, in order
/// (tonic's route-guide idiom, one queue per stream). The status is boxed
/// so a queue slot is two words: the queue keeps its slots between turns.
pub type Pushed = Result<Arc<TurnView>, Box<Status>>;

type TurnStream = Pin<Box<dyn Stream<Item = Result<wire::Turn, Status>> + Send>>;

fn turn_response(turn: Result<Arc<TurnView>, CallError>) -> Result<Response<wire::Turn>, Status> {
    Ok(Response::new(wire::Turn::View(turn?)))
}

/// The authenticated client, when the service authenticates.
fn client<T>(req: &Request<T>) -> Option<Arc<Client>> {
    req.extensions().get::<Arc<Client>>().cloned()
}

/// The call about to start counts against the connection it came on, so
/// the drain keeps that connection open until the call ends.
fn anchor<T>(req: &Request<T>) -> Option<Anchor> {
    let ext = req.extensions();
    let conn = ext
        .get::<ConnInfo>()
        .or_else(|| ext.get::<TlsConnectInfo<ConnInfo>>().map(|t| t.get_ref()))?;
    Some(Anchor(Arc::new(conn.state.hold_call())))
}

/// A record as this client may see it: without `pii`, masked as the
/// norms say (`CallRecord::masked`: numbers, and the flow's `pii`
/// variables whole), with the redactor for text quoted from it; an open
/// service shows everything, as it always has.
fn shown(record: CallRecord, client: Option<&Client>) -> (pb::CallRecord, Option<Redactor>) {
    if client.is_some_and(|c| !c.sees_pii()) {
        let (masked, redactor) = record.masked();
        (pb::CallRecord::from(masked), Some(redactor))
    } else {
        (pb::CallRecord::from(record), None)
    }
}

#[tonic::async_trait]
impl Calls for CallsService {
    async fn start_call(
        &self,
        req: Request<pb::StartCallRequest>,
    ) -> Result<Response<wire::Turn>, Status> {
        let client = client(&req);
        let anchor = anchor(&req);
        let mut start = convert::start_call(&self.limits, req.into_inner())?;
        start.owner = client.map(|c| c.name.clone());
        start.anchor = anchor;
        let view = self.engine.start(start, None).await?;
        Ok(Response::new(wire::Turn::View(view)))
    }

    // Written out instead of `async fn`: with calls in memory the engine
    // answers at once, so the turn is worked out here and the future is a
    // finished one of a few words. An `async fn` would keep the request,
    // the call id and the event in a future of a kilobyte, which tonic
    // then moves and allocates on every event (BENCHMARKS.md section 1).
    fn send_event<'life0, 'async_trait>(
        &'life0 self,
        req: Request<pb::CallEvent>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<wire::Turn>, Status>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let EventRequest {
            client,
            call_id,
            seq,
            event,
        } = match self.event(req) {
            Ok(parts) => parts,
            Err(status) => return Box::pin(ready(Err(status))),
        };
        let who = client.as_deref().and_then(Client::calls_scope);
        match self.engine.send(who, &call_id, seq, event) {
            Reply::Ready(Some(turn)) => Box::pin(ready(turn_response(turn))),
            stored => Box::pin(async move { turn_response(stored.await) }),
        }
    }

    type ConverseStream = TurnStream;

    async fn converse(
        &self,
        req: Request<Streaming<pb::CallEvent>>,
    ) -> Result<Response<TurnStream>, Status> {
        let client = client(&req);
        let anchor = anchor(&req);
        let standing = req.extensions().get::<Standing>().cloned();
        let mut inbound = req.into_inner();
        let first = inbound
            .message()
            .await
            .map_err(client_facing)?
            .ok_or_else(|| {
                Status::invalid_argument("start: the stream ended before its first message")
            })?;
        let backlog = self.engine.settings().max_pushed_backlog;
        let (tx, rx) = mailbox::mailbox::<Pushed>(backlog);
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let call_id = match convert::opening(&self.limits, first)? {
            Opening::Start(mut start) => {
                start.owner = client.as_ref().map(|c| c.name.clone());
                start.anchor = anchor;
                // The first turn goes to the stream through the mailbox.
                let first = self.engine.start(start, Some(Box::new(tx.clone()))).await?;
                // The id may have been assigned by the engine.
                first.call_id.to_string()
            }
            // A stored call whose stream broke goes on here.
            Opening::Resume(call_id) => {
                let who = client.as_deref().and_then(Client::calls_scope);
                self.engine
                    .resume(who, &call_id, Box::new(tx.clone()))
                    .await?;
                call_id
            }
        };

        tokio::spawn(read_events(
            self.engine.clone(),
            self.limits.clone(),
            (call_id, standing),
            inbound,
            tx,
            done_rx,
        ));
        Ok(Response::new(Box::pin(TurnsOut { rx, _done: done_tx })))
    }

    async fn end_call(
        &self,
        req: Request<pb::EndCallRequest>,
    ) -> Result<Response<pb::CallRecord>, Status> {
        let client = client(&req);
        let pb::EndCallRequest { call_id } = req.into_inner();
        let call_id = convert::call_id(&self.limits, "call_id", call_id)?;
        let who = client.as_deref().and_then(Client::calls_scope);
        let record = self.engine.end(who, &call_id).await?;
        Ok(Response::new(self.record(record, client.as_deref())))
    }

    async fn get_call(
        &self,
        req: Request<pb::GetCallRequest>,
    ) -> Result<Response<pb::CallRecord>, Status> {
        let client = client(&req);
        let pb::GetCallRequest { call_id } = req.into_inner();
        let call_id = convert::call_id(&self.limits, "call_id", call_id)?;
        let who = client.as_deref().and_then(Client::calls_scope);
        let record = self.engine.record(who, &call_id).await?;
        Ok(Response::new(self.record(record, client.as_deref())))
    }
}

/// Feeds a Converse stream's events to the engine. The engine pushes the
/// resulting turns to the stream's mailbox itself (in order with timer
/// turns).
///
/// Ends when the client half-closes (the call goes on, driven by server
/// timers, until it ends), when the stream breaks (the front-end is gone:
/// the call ends as `FrontEndLost`), on a bad event (queued after the turns
/// already pushed, as the stream's status), or when the response stream
/// finishes (`done`).
async fn read_events(
    engine: Engine,
    limits: Limits,
    (call_id, standing): (String, Option<Standing>),
    mut inbound: Streaming<pb::CallEvent>,
    out: Sender<Pushed>,
    mut done: oneshot::Receiver<()>,
) {
    // Reports a bad event as the stream's status, then ends the call.
    let fail = async |status: Status| {
        let _ = out.push(Err(Box::new(status)), true);
        // The engine logs a call it could not end.
        let _ = engine.disconnected(&call_id).await;
    };
    // With a shared store, the call may have to leave this stream (see
    // `StreamClosed`); with the memory store this never happens.
    let held = engine.hold_stream(&call_id);
    tokio::pin!(held);
    // An open service has no tokens to revoke.
    let revoked = async move {
        match standing {
            Some(mut standing) => standing.revoked().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(revoked);
    loop {
        // Every branch is cancel-safe: `message()` keeps partial frames in
        // the stream, `done` is a oneshot, `held` and `revoked` are kept
        // across turns.
        let msg = tokio::select! {
            msg = inbound.message() => msg,
            _ = &mut done => return,
            closed = &mut held => {
                let _ = out.push(Err(Box::new(stream_closed(closed))), true);
                return;
            }
            status = &mut revoked => return fail(revoked_status(&call_id, status)).await,
        };
        match msg {
            Ok(Some(ev)) => {
                let event = convert::stream_event(&limits, ev, &call_id)
                    .and_then(|(seq, event)| limits.seq("seq", seq).map(|()| (seq, event)));
                let result = match event {
                    Ok((seq, event)) => engine
                        .send(None, &call_id, seq, event)
                        .await
                        .map(drop)
                        .map_err(Status::from),
                    Err(invalid) => Err(Status::from(invalid)),
                };
                if let Err(status) = result {
                    return fail(status).await;
                }
            }
            // Half-closed: the call goes on, its turns still pushed to the
            // stream, so the stream is still held (its lease renewed, a
            // store that lost the call noticed) and a revoked token still
            // ends it.
            Ok(None) => {
                tokio::select! {
                    _ = &mut done => return,
                    closed = &mut held => {
                        let _ = out.push(Err(Box::new(stream_closed(closed))), true);
                        return;
                    }
                    status = &mut revoked => return fail(revoked_status(&call_id, status)).await,
                }
            }
            Err(status) => match super::status::wire_error(&status) {
                // A malformed message is the client's mistake: say so.
                Some(restated) => return fail(restated).await,
                None => {
                    debug!(%call_id, %status, "Converse stream broke");
                    let _ = engine.disconnected(&call_id).await;
                    return;
                }
            },
        }
    }
}

/// A stream whose token a reload revoked: said in the log and the metrics.
fn revoked_status(call_id: &str, status: Status) -> Status {
    warn!(?call_id, status = %status.message(), "token revoked: Converse stream ended");
    crate::metrics::stream_revoked();
    status
}

/// The status a Converse stream closes with while its call goes on in the
/// shared store: UNAVAILABLE when this replica drains (the front-end opens
/// Converse on another replica with `resume`), ABORTED when the front-end
/// already resumed the call elsewhere.
fn stream_closed(closed: StreamClosed) -> Status {
    match closed {
        StreamClosed::Draining => Status::unavailable(
            "this replica is shutting down; the call is stored: resume it on another replica (Converse, first message `resume`)",
        ),
        StreamClosed::ResumedElsewhere => Status::aborted(
            "the call was resumed on another replica; this stream no longer carries it",
        ),
        StreamClosed::Lost => Status::data_loss(
            "the call store lost this call's state (Redis restarted empty or was flushed); the call cannot go on: start a new one",
        ),
    }
}

/// The response stream: the mailbox's turns and error, in wire form.
struct TurnsOut {
    rx: Receiver<Pushed>,
    /// Dropped with the stream, which stops `read_events`.
    _done: oneshot::Sender<()>,
}

impl Stream for TurnsOut {
    type Item = Result<wire::Turn, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut()
            .rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(wire::Turn::View).map_err(|e| *e)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::shown;
    use crate::{
        call::Event,
        engine::{Engine, EngineSettings, StartCall},
        flow::FlowRegistry,
        grpc::auth::{Auth, Client, Tokens},
        transcript::CallRecord,
    };

    const TOKENS: &str = r#"
[[client]]
name = "supervisor"
token = "operator-token-0123456789"
roles = ["operator"]
"#;

    /// The record as `operator` is shown it, as text, without the flow's
    /// version: that is a hash of the flow's text (on the record and every
    /// turn), not anyone's number, and its hex digits may run long by chance.
    fn shown_text(record: CallRecord, operator: &Client) -> String {
        let shown = shown(record, Some(operator)).0;
        format!("{shown:?}").replace(&shown.flow_version, "")
    }

    /// The longest run of digits anywhere in the text.
    fn longest_digit_run(text: &str) -> usize {
        text.split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0)
    }

    /// N16: an operator without `pii` sees no full number anywhere in a
    /// call's record: not the call's numbers, not the words or keys, not a
    /// lookup's params (the caller's number) nor the variables its answer
    /// brought.
    #[tokio::test]
    async fn an_operator_without_pii_sees_no_full_number_in_a_record() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/flows");
        let flows = Arc::new(FlowRegistry::load_dir(dir, None).expect("the shipped flows"));
        let engine = Engine::new(flows, EngineSettings::default());
        let start = StartCall {
            call_id: "masked".into(),
            caller: "13800005678".into(),
            at: Some("2026-11-23T07:00:00Z".parse().expect("a time")),
            ..StartCall::default()
        };
        engine
            .start(start, None)
            .now()
            .expect("ready")
            .expect("starts");
        let events = [
            Event::speech("我要查话费,我的号码是13912345678"),
            Event::LookupResult {
                name: "bill".into(),
                ok: true,
                variables: [
                    ("amount".to_owned(), "58".to_owned()),
                    ("account".to_owned(), "6222020012345678".to_owned()),
                ]
                .into(),
            },
            Event::Dtmf {
                digits: "110101199001011234".into(),
            },
        ];
        for (seq, event) in (1..).zip(events) {
            engine
                .send(None, "masked", seq, event)
                .now()
                .expect("ready")
                .expect("the event is taken");
        }
        let record = engine
            .record(None, "masked")
            .now()
            .expect("ready")
            .expect("a record");
        let auth = Auth::from_tokens(Tokens::parse("tokens.toml", TOKENS).expect("parses"));
        let operator = auth
            .admit(
                "/callscript.v1.Calls/GetCall",
                Some(b"Bearer operator-token-0123456789"),
            )
            .expect("an operator reads calls");
        assert!(!operator.sees_pii());

        let full = format!("{:?}", shown(record.clone(), None).0);
        assert!(
            full.contains("params: {\"caller\": \"13800005678\"}"),
            "the lookup sends the caller's number: {full}"
        );
        assert!(full.contains("6222020012345678"));
        let masked = shown_text(record, &operator);
        assert!(
            masked.contains("params: {\"caller\": \"*******5678\"}"),
            "{masked}"
        );
        assert!(
            longest_digit_run(&masked) < 6,
            "a number shows in full to an operator without pii: {masked}"
        );
    }

    /// N16 for the IVR's data: the variables a transfer attaches for the
    /// agent's screen pop (the number keyed in) are masked like the rest.
    #[tokio::test]
    async fn a_transfers_attached_variables_are_masked_without_pii() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/flows");
        let flows = Arc::new(FlowRegistry::load_dir(dir, None).expect("the shipped flows"));
        let engine = Engine::new(flows, EngineSettings::default());
        let start = StartCall {
            call_id: "attached".into(),
            flow: "menu".into(),
            at: Some("2026-11-23T07:00:00Z".parse().expect("a time")),
            ..StartCall::default()
        };
        engine
            .start(start, None)
            .now()
            .expect("ready")
            .expect("starts");
        let keys = |digits: &str| Event::Dtmf {
            digits: digits.into(),
        };
        let events = [
            keys("1"),
            keys("13912345678#"),
            keys("1"),
            Event::LookupResult {
                name: "bill".into(),
                ok: true,
                variables: [
                    ("amount".to_owned(), "58".to_owned()),
                    ("vip".to_owned(), "gold".to_owned()),
                ]
                .into(),
            },
            Event::speech("转人工"),
            Event::speech("好的"),
        ];
        for (seq, event) in (1..).zip(events) {
            engine
                .send(None, "attached", seq, event)
                .now()
                .expect("ready")
                .expect("the event is taken");
        }
        let record = engine
            .record(None, "attached")
            .now()
            .expect("ready")
            .expect("a record");
        let auth = Auth::from_tokens(Tokens::parse("tokens.toml", TOKENS).expect("parses"));
        let operator = auth
            .admit(
                "/callscript.v1.Calls/GetCall",
                Some(b"Bearer operator-token-0123456789"),
            )
            .expect("an operator reads calls");
        let full = format!("{:?}", shown(record.clone(), None).0);
        assert!(
            full.contains("\"phone\": \"13912345678\""),
            "the transfer attaches the number keyed in: {full}"
        );
        let masked = shown_text(record, &operator);
        assert!(
            longest_digit_run(&masked) < 6,
            "a number shows in full to an operator without pii: {masked}"
        );
    }
}
