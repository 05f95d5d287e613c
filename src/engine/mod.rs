//! Live calls: the session table, their timers and transcripts.
//!
//! Each call is a [`CallMachine`] behind its own mutex, found through a
//! sharded table. Handlers lock the one call they touch, feed it the event
//! and get the turn back directly: no per-call task, so an event costs a
//! lock rather than two task hand-offs (see ARCHITECTURE.md). One timer task
//! for the whole engine holds every call's deadline (`timers`).
//!
//! # Layout
//!
//! - this file: the call operations (`start`, `send`, `end`, `record`,
//!   `resume`, `disconnected`), each answering a [`Reply`], and the rest
//!   of the service's view (limits, draining);
//! - `local`: calls in this process's memory (`store = "memory"`);
//! - `shared`: calls in a shared [`store`], run on working copies with a
//!   compare-and-set; `store::memory` gives tests the same in-process;
//! - `session`: one call behind its lock, handling events; `kept`: its
//!   state as one value (cloned for a working copy, serialized whole);
//! - `timers`, `table`, `mailbox`, `clock`: the timer task, the sharded
//!   table, Converse's bounded queue, wall-clock time.
//!
//! Knows nothing of wire types.

mod clock;
mod kept;
mod local;
pub mod mailbox;
#[cfg(test)]
mod playback_tests;
mod reply;
mod session;
mod shared;
pub mod store;
mod table;
#[cfg(test)]
mod tests;
mod timers;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tracing::{info, warn};

use kept::Mode;
use mailbox::PushError;
pub use reply::Reply;
use session::Call;
pub use session::{CallRecord, Entry, EntryKind, Facts, Turn, TurnView};
pub use shared::StreamClosed;

use crate::{
    call::{CallMachine, CallSetup, Event},
    flow::FlowRegistry,
};

/// Where a call's turns go when the server produces them by itself: the
/// simulator's and tests' unbounded channel, or the Converse stream's
/// bounded [`mailbox`].
pub type Subscriber = mpsc::UnboundedSender<Arc<TurnView>>;

/// Takes a streamed call's pushed turns. `last` is the call's final turn,
/// which may pass a bound (see [`mailbox`]). Dropping the sink tells the
/// reader no more turns will come.
pub trait TurnSink: Send {
    fn push(&self, turn: Arc<TurnView>, last: bool) -> Result<(), PushError>;
}

/// A boxed sink, as a call holds it.
pub type Sink = Box<dyn TurnSink>;

impl TurnSink for mpsc::UnboundedSender<Arc<TurnView>> {
    fn push(&self, turn: Arc<TurnView>, _last: bool) -> Result<(), PushError> {
        self.send(turn).map_err(|_| PushError::Gone)
    }
}

impl TurnSink for mailbox::Sender<Arc<TurnView>> {
    fn push(&self, turn: Arc<TurnView>, last: bool) -> Result<(), PushError> {
        mailbox::Sender::push(self, turn, last)
    }
}

/// The gRPC edge's mailbox carries its own errors beside the turns.
impl<E: Send + 'static> TurnSink for mailbox::Sender<Result<Arc<TurnView>, E>> {
    fn push(&self, turn: Arc<TurnView>, last: bool) -> Result<(), PushError> {
        mailbox::Sender::push(self, Ok(turn), last)
    }
}

/// Engine settings (see `config`).
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// A unary call that hears nothing from its front-end for this long
    /// after its last listen period is ended as `FrontEndLost`.
    pub idle_timeout: Duration,
    /// How many ended calls keep their record for GetCall.
    pub retain_ended: usize,
    /// How many bytes (approximately) the kept records may hold in all;
    /// the oldest go first when either bound is passed.
    pub retain_ended_bytes: usize,
    /// The most transcript entries a call keeps; older ones are dropped
    /// (and counted) so no front-end can grow a call without limit.
    pub max_transcript: usize,
    /// Where ended calls' records go (`records_file`), if anywhere.
    pub records: Option<crate::records::RecordSink>,
    /// The most calls live at once; StartCall and Converse beyond it are
    /// refused (`CallError::TooManyCalls`).
    pub max_live_calls: usize,
    /// How many pushed turns may wait for a Converse client that is not
    /// reading; past it the call ends as `FrontEndLost`.
    pub max_pushed_backlog: usize,
    /// The longest the service waits for `prompt_played` (a call started
    /// with `reports_playback`) before starting the no-input timer anyway;
    /// the estimate from the prompts' text is used when shorter.
    pub playback_guard: Duration,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            idle_timeout: Duration::from_secs(120),
            retain_ended: 100_000,
            retain_ended_bytes: 256 << 20,
            max_transcript: 1_000,
            records: None,
            max_live_calls: 1_000_000,
            max_pushed_backlog: 64,
            playback_guard: Duration::from_secs(30),
        }
    }
}

/// A request to start a call, already validated at the edge.
#[derive(Debug, Clone, Default)]
pub struct StartCall {
    pub call_id: String,
    pub flow: String,
    pub caller: String,
    pub callee: String,
    /// Replaces "now" for choosing the greeting.
    pub at: Option<DateTime<Utc>>,
    pub locale: Option<String>,
    pub reports_playback: bool,
    /// The authenticated client starting the call (None when the service
    /// is open).
    pub owner: Option<Arc<str>>,
    /// This call's own variables for the prompts (caller data).
    pub variables: crate::call::Vars,
    /// Held while the call is live, dropped when it ends.
    pub anchor: Option<Anchor>,
}

/// Something that must live exactly as long as a call: the connection that
/// started a call counts it through one, so the drain knows which
/// connections still carry live calls (`connections`).
#[derive(Clone)]
pub struct Anchor(pub Arc<dyn Send + Sync>);

impl std::fmt::Debug for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Anchor")
    }
}

/// Why a call operation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error("flow {0:?} is not loaded")]
    UnknownFlow(String),
    #[error("call {0:?} is not known (never started, or its record has expired)")]
    UnknownCall(String),
    #[error("call {0:?} already exists")]
    AlreadyExists(String),
    #[error("call {call_id:?} has ended ({reason})")]
    Ended {
        call_id: String,
        reason: &'static str,
    },
    #[error("locale {locale:?} is not offered by flow {flow:?} (it offers {offered})")]
    UnknownLocale {
        locale: String,
        flow: String,
        offered: String,
    },
    #[error(
        "seq {seq} is not after this call's last event seq {last} and matches no earlier event"
    )]
    StaleSeq { seq: u64, last: u64 },
    /// A seq already used by a different event: answering the first
    /// event's turn would swallow the second (a hang-up, say) silently.
    #[error("seq {seq} was already used by a {first} event; this {now} event needs a new seq")]
    SeqReused {
        seq: u64,
        first: &'static str,
        now: &'static str,
    },
    #[error("{limit} calls are live, the most this service takes (max_live_calls)")]
    TooManyCalls { limit: usize },
    #[error("the service is shutting down and takes no new calls")]
    ShuttingDown,
    #[error("call {0:?} was started by another client")]
    NotOwner(String),
    /// The shared call store did not answer or could not be read.
    #[error("the call store is unavailable: {0}")]
    StoreUnavailable(String),
    #[error(
        "resume: this service keeps calls in its own memory (store = \"memory\"); calls can only be resumed with a shared store"
    )]
    NotStored,
    #[error("call {0:?} was started with StartCall; send its events with SendEvent")]
    NotStreamed(String),
    #[error("flow {flow:?} requires variable {name:?} (its prompts say it and it has no default)")]
    MissingVariable { flow: String, name: String },
}

/// The live calls of one service.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    flows: Arc<FlowRegistry>,
    live: table::Table,
    /// Counted apart from the table, so the limit check is one atomic.
    live_count: AtomicUsize,
    retained: local::Retained,
    timers: timers::TimerHandle,
    settings: EngineSettings,
    /// Set when the service starts draining: no new calls.
    draining: AtomicBool,
    /// The shared call store; `None` with the memory store.
    shared: Option<shared::Shared>,
}

/// Whether a WARN about a refusal may go out now: at most one a second for
/// each kind, so a flood of refusals cannot flood the log too.
pub fn once_a_second(last: &AtomicU64) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    last.swap(now, Ordering::Relaxed) != now
}

/// Who asks: `None` may touch any call, `Some(name)` only the calls that
/// client started.
pub type Requester<'a> = Option<&'a str>;

impl Engine {
    /// Must be called inside a tokio runtime: it starts the timer task.
    pub fn new(flows: Arc<FlowRegistry>, settings: EngineSettings) -> Engine {
        Engine::with_store(flows, settings, None)
    }

    /// An engine whose calls live in a shared store (`store =
    /// "redis://…"`), kept readable `ended_ttl` after they end; with
    /// `None`, in this process ([`Engine::new`]). Starts the task that
    /// fires the store's due deadlines.
    pub fn with_store(
        flows: Arc<FlowRegistry>,
        settings: EngineSettings,
        store: Option<(Arc<dyn store::CallStore>, Duration)>,
    ) -> Engine {
        let (timers, rx) = timers::TimerHandle::new();
        let inner = Arc::new(Inner {
            flows,
            live: table::Table::new(),
            live_count: AtomicUsize::new(0),
            retained: local::Retained::new(),
            timers,
            settings,
            draining: AtomicBool::new(false),
            shared: store.map(|(store, ttl)| shared::Shared::new(store, ttl)),
        });
        tokio::spawn(timers::run(rx, Arc::downgrade(&inner)));
        if inner.shared.is_some() {
            tokio::spawn(shared::watch_due(Arc::downgrade(&inner)));
        }
        Engine { inner }
    }

    /// The calls this process holds: all live calls with the memory
    /// store, the ones it is serving with a shared one.
    pub fn live_calls(&self) -> usize {
        self.inner.live_count.load(Ordering::Relaxed)
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.inner.settings
    }

    /// The shared store, if calls live in one.
    pub fn store(&self) -> Option<Arc<dyn store::CallStore>> {
        self.inner.shared.as_ref().map(|s| s.store.clone())
    }

    // === the operations on a call ===

    /// Starts a call and returns its first turn. With a `subscriber` the
    /// call is a Converse call: server timers drive it and every turn goes
    /// there too. Its owner is the request's (`StartCall::owner`).
    pub fn start(&self, req: StartCall, subscriber: Option<Sink>) -> Reply<'_, Arc<TurnView>> {
        match &self.inner.shared {
            None => Reply::ready(self.start_local(req, subscriber)),
            Some(shared) => Reply::stored(self.start_stored(shared, req, subscriber)),
        }
    }

    /// Feeds one front-end event to a call and returns the next turn; a
    /// retried `seq` gets the turn it got the first time.
    pub fn send(
        &self,
        who: Requester<'_>,
        call_id: &str,
        seq: u64,
        event: Event,
    ) -> Reply<'_, Arc<TurnView>> {
        if self.inner.shared.is_none() {
            return Reply::ready(self.send_local(who, call_id, seq, event));
        }
        let (who, call_id) = (who.map(str::to_owned), call_id.to_owned());
        Reply::stored(async move {
            let op = shared::Op::Event { seq, event };
            self.run(who.as_deref(), &call_id, op)
                .await?
                .ok_or(CallError::UnknownCall(call_id))
        })
    }

    /// Ends a call from the operator side and returns its record; a call
    /// that has ended already just gives its record.
    pub fn end(&self, who: Requester<'_>, call_id: &str) -> Reply<'_, CallRecord> {
        if self.inner.shared.is_none() {
            return Reply::ready(self.end_local(who, call_id));
        }
        let (who, call_id) = (who.map(str::to_owned), call_id.to_owned());
        Reply::stored(async move {
            let op = shared::Op::Server(Event::OperatorHangup);
            self.run(who.as_deref(), &call_id, op).await?;
            self.record_stored(who.as_deref(), &call_id).await
        })
    }

    /// A call's facts and transcript, live or ended (while kept).
    pub fn record(&self, who: Requester<'_>, call_id: &str) -> Reply<'_, CallRecord> {
        if self.inner.shared.is_none() {
            return Reply::ready(self.record_local(who, call_id));
        }
        let (who, call_id) = (who.map(str::to_owned), call_id.to_owned());
        Reply::stored(async move { self.record_stored(who.as_deref(), &call_id).await })
    }

    /// Takes over a stored Converse call whose stream broke (its replica
    /// died or drained): its timers run here from now on, from the
    /// deadline the store holds, and its turns go to `subscriber`. Only a
    /// shared store keeps calls another process can resume.
    pub fn resume(&self, who: Requester<'_>, call_id: &str, subscriber: Sink) -> Reply<'_, ()> {
        let Some(shared) = &self.inner.shared else {
            return Reply::ready(Err(CallError::NotStored));
        };
        let (who, call_id) = (who.map(str::to_owned), call_id.to_owned());
        Reply::stored(async move {
            self.resume_stored(shared, who.as_deref(), &call_id, subscriber)
                .await
        })
    }

    /// The front-end of a Converse call went away: the call ends as
    /// `FrontEndLost` (nothing happens to a call that has ended).
    pub fn disconnected(&self, call_id: &str) -> Reply<'_, ()> {
        if self.inner.shared.is_none() {
            self.disconnected_local(call_id);
            return Reply::ready(Ok(()));
        }
        let call_id = call_id.to_owned();
        Reply::stored(async move {
            let op = shared::Op::Server(Event::FrontEndLost);
            match self.run(None, &call_id, op).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    warn!(%call_id, error = %e, "could not end a call whose front-end went away");
                    Err(e)
                }
            }
        })
    }

    // === the service ===

    /// Whether the service still takes new calls (it is not draining).
    pub fn taking_calls(&self) -> bool {
        !self.inner.draining.load(Ordering::Relaxed)
    }

    /// Takes no new calls from now on (the service is draining).
    pub fn stop_taking_calls(&self) {
        self.inner.draining.store(true, Ordering::Relaxed);
    }

    /// Takes no new calls and lets the live ones go: with the memory store
    /// they end (their records are kept); with a shared one they are
    /// stored already, and other replicas go on with them.
    pub fn shutdown(&self) {
        self.stop_taking_calls();
        if self.inner.shared.is_some() {
            self.let_go();
        } else {
            self.shutdown_local();
        }
    }

    /// Files a call this process holds, counted; false if the id is taken.
    fn hold(&self, call: &Arc<Call>) -> bool {
        let filed = self.inner.live.insert(call.id().clone(), call.clone());
        if filed {
            self.inner.live_count.fetch_add(1, Ordering::AcqRel);
        }
        filed
    }

    /// Stops holding a call, counted; false if it was not held.
    fn unhold(&self, call_id: &str) -> bool {
        let held = self.inner.live.remove(call_id);
        if held {
            self.inner.live_count.fetch_sub(1, Ordering::AcqRel);
        }
        held
    }

    /// The "call ended" log line and metric, however the call is kept.
    fn call_ended(&self, call: &Call) {
        let (flow, reason, lasted) = call.ending();
        let reason = reason.map_or("unknown", crate::call::EndReason::as_str);
        info!(call_id = %call.id(), flow = %flow.id(), duration_ms = lasted.as_millis() as u64, reason, "call ended");
        crate::metrics::call_ended(flow.id(), reason, lasted);
    }

    /// A new call, not yet started nor filed: its flow, locale and opening
    /// checked and chosen. Returns the call, its flow and the opening rule.
    fn new_call(
        &self,
        req: StartCall,
        subscriber: Option<Sink>,
    ) -> Result<(Arc<Call>, Arc<crate::flow::Flow>, OpenedBy), CallError> {
        if self.inner.draining.load(Ordering::Relaxed) {
            return Err(CallError::ShuttingDown);
        }
        let flow = self
            .inner
            .flows
            .get(&req.flow)
            .ok_or_else(|| CallError::UnknownFlow(req.flow.clone()))?;
        let locale = match req.locale.as_deref().filter(|l| !l.is_empty()) {
            None => 0,
            Some(l) => flow
                .locale_index(l)
                .ok_or_else(|| CallError::UnknownLocale {
                    locale: l.to_owned(),
                    flow: flow.id().to_string(),
                    offered: flow.locales().join(", "),
                })?,
        };
        if let Some(name) = flow
            .required_variables()
            .iter()
            .find(|n| req.variables.get(&***n).is_none_or(|v| v.trim().is_empty()))
        {
            return Err(CallError::MissingVariable {
                flow: flow.id().to_string(),
                name: name.to_string(),
            });
        }
        let at = req.at.unwrap_or_else(Utc::now);
        let holidays = self.inner.flows.holidays();
        let crate::flow::CallStart {
            hours,
            after_hours,
            opening,
        } = flow.start_at(at, &holidays);
        let machine = CallMachine::new(CallSetup {
            flow: flow.clone(),
            locale,
            opening: opening.prompt,
            day_part: opening.day_part,
            variables: req.variables,
            caller: req.caller.as_str().into(),
            callee: req.callee.as_str().into(),
            after_hours,
        });
        let mode = if subscriber.is_some() {
            Mode::Stream
        } else {
            Mode::Unary
        };
        let id: Arc<str> = if req.call_id.is_empty() {
            self.assign_id()
        } else {
            req.call_id.as_str().into()
        };
        let facts = Facts {
            caller: req.caller.into(),
            callee: req.callee.into(),
            local_start: clock::rfc3339(&opening.local),
            opening_rule: opening.rule.text().into(),
            owner: req.owner,
        };
        let kept = kept::Kept::new(machine, facts, mode, req.reports_playback);
        let call = Arc::new(Call::new(id, kept, subscriber));
        call.lock().anchor = req.anchor;
        let opened_by = OpenedBy {
            rule: opening.rule,
            hours,
        };
        Ok((call, flow, opened_by))
    }

    /// A fresh id for a call whose front-end gave none: 128 random bits,
    /// so no client can find another's call by counting.
    fn assign_id(&self) -> Arc<str> {
        loop {
            let mut bytes = [0u8; 16];
            if getrandom::fill(&mut bytes).is_err() {
                // The OS always has randomness on supported platforms; this
                // only keeps a broken one from being predictable by a counter.
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                bytes = (t ^ (self.live_calls() as u128).rotate_left(64)).to_le_bytes();
            }
            let id = assigned_id(bytes);
            // A front-end may have chosen an id of the same shape.
            if !self.holds(&id) {
                return id;
            }
        }
    }
}

/// Why a call opened as it did: the opening's rule and the hours then.
/// Written out only when the "call started" line is (the service logs at
/// warn in production, and the text cost about 3k instructions per
/// StartCall).
struct OpenedBy {
    rule: crate::flow::OpeningRule,
    hours: Option<crate::flow::HoursAt>,
}

impl std::fmt::Display for OpenedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.hours {
            Some(hours) => write!(f, "{} (hours: {hours})", self.rule),
            None => write!(f, "{}", self.rule),
        }
    }
}

/// `cs-` and the bytes in lower-case hex, written in place: formatting
/// each byte took about 2.5k instructions per StartCall (BENCHMARKS.md
/// section 1).
fn assigned_id(bytes: [u8; 16]) -> Arc<str> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 3 + 32];
    text[..3].copy_from_slice(b"cs-");
    for (pair, b) in text[3..].chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0xf)];
    }
    // Every byte written is ASCII.
    std::str::from_utf8(&text).map_or_else(|_| Arc::from("cs-"), Arc::from)
}
