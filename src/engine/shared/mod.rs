//! The engine over a shared call store (`store = "redis://…"`): any replica
//! answers for any call, and a restart loses none.
//!
//! Every operation on a call (start, event, timer, hang-up) runs on a
//! working copy of the call ([`Session::fork`]) and is kept only once the
//! store took the copy with a compare-and-set on the call's version. Two
//! replicas racing on one call cannot both apply an event: the loser gets
//! the call as it now is, and runs the operation again on that, where a
//! retried seq finds its turn. A replica keeps the calls it used in its
//! table and reads the store only when the compare-and-set says its copy
//! is stale; so an event costs one round trip to the store.
//!
//! Time in the store is wall-clock (unix ms), which every replica shares;
//! in the process it is tokio's clock, as in memory mode.

mod copies;
mod faults;
mod flows;
mod snapshot;
mod streams;
#[cfg(test)]
mod tests;

use super::clock::{from_unix, to_unix, unix_ms};
use super::kept::{Due, Kept, Mode};
use snapshot::{corrupt, restored};
pub use streams::StreamClosed;
pub(super) use streams::watch_due;

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, atomic::Ordering},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::{info, warn};

use super::{
    CallError, CallRecord, Engine, Entry, Requester, Sink, StartCall, Turn, TurnView,
    session::{self, Call, Outcome, Session, check_owner, replayed},
    store::{CallStore, Lease, Saved, StoreError, Stored, Write},
};
use crate::{
    call::{Event, snapshot::with_flow},
    flow::{Flow, FlowRegistry, compile_source},
};

/// How often an operation starts again after losing a race before it
/// gives up (each loss means another replica moved the call on).
const ATTEMPTS: usize = 16;

/// A flow id and version.
type FlowKey = (Arc<str>, Arc<str>);

/// The store, as the engine holds it.
pub(super) struct Shared {
    pub store: Arc<dyn CallStore>,
    /// This replica's name in leases (random per process).
    pub replica: Arc<str>,
    /// How long an ended call stays readable.
    pub ended_ttl: Duration,
    /// Flow versions this replica does not serve but continues calls on,
    /// compiled from the sources other replicas published.
    pinned: Mutex<HashMap<FlowKey, Arc<Flow>>>,
    /// Flow versions whose source this replica has published.
    published: Mutex<HashSet<(Arc<str>, Arc<str>)>>,
    /// Set when this replica drains: its Converse streams close.
    pub leaving: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    pub fn new(store: Arc<dyn CallStore>, ended_ttl: Duration) -> Shared {
        let mut bytes = [0u8; 8];
        let _ = getrandom::fill(&mut bytes);
        Shared {
            store,
            replica: format!("replica-{}", u64::from_le_bytes(bytes)).into(),
            ended_ttl,
            pinned: Mutex::new(HashMap::new()),
            published: Mutex::new(HashSet::new()),
            leaving: tokio::sync::watch::Sender::new(false),
        }
    }

    fn unavailable(&self, e: StoreError) -> CallError {
        crate::metrics::store_error();
        CallError::StoreUnavailable(e.0)
    }
}

/// What a call kept in the store needs beyond the memory engine's session.
pub(super) struct SharedPart {
    /// The stored version this copy is.
    pub version: u64,
    /// The turn that answered the last sequenced event: a retry of it gets
    /// this back from any replica.
    pub last_answer: Option<Arc<Turn>>,
    /// The last sequenced event, so a retry answered from `last_answer` is
    /// known to be the same event (`None` in snapshots written before it:
    /// such a retry is checked against the stored transcript instead).
    pub last_event: Option<Event>,
    /// When the call started, wall-clock.
    pub started_ms: u64,
    /// Held for the whole of an operation (across its round trip), so the
    /// operations on one call from this replica take turns rather than
    /// racing each other through the compare-and-set; only replicas race.
    pub gate: Arc<tokio::sync::Mutex<()>>,
    /// Turns for the Converse stream, sent once the operation is stored.
    pub outbox: Vec<(Arc<TurnView>, bool)>,
    /// When this replica last used the call (its table drops idle copies).
    pub used: Instant,
    /// A transcript line the next stored operation adds (a turn pushed
    /// late after a store stall, `faults`).
    pub note: Option<Arc<str>>,
}

impl SharedPart {
    pub fn new(
        version: u64,
        last: (Option<Arc<Turn>>, Option<Event>),
        started_ms: u64,
    ) -> SharedPart {
        let (last_answer, last_event) = last;
        SharedPart {
            version,
            last_answer,
            last_event,
            started_ms,
            gate: Arc::default(),
            outbox: Vec::new(),
            used: Instant::now(),
            note: None,
        }
    }

    pub fn fork(&self) -> SharedPart {
        SharedPart {
            version: self.version,
            last_answer: self.last_answer.clone(),
            last_event: self.last_event.clone(),
            started_ms: self.started_ms,
            gate: self.gate.clone(),
            outbox: Vec::new(),
            used: self.used,
            note: self.note.clone(),
        }
    }
}

/// What an operation did to its working copy.
enum Step {
    /// Nothing to store; this is the answer.
    Answer(Result<Arc<TurnView>, CallError>),
    /// Store the copy, then answer with this turn.
    Store(Arc<TurnView>, Outcome),
    /// Nothing happened and nothing needs storing.
    Nothing,
    /// A retry of an older event: its turn is in the stored transcript.
    Replay {
        seq: u64,
        event: Event,
        last: u64,
        quiet: Arc<Turn>,
        flow: Arc<Flow>,
    },
    /// The deadline is later: file the call's next check at this time.
    CheckAt(u64),
    /// A streamed call's check came due on a replica without its stream.
    Unheld,
}

/// One operation on a call.
#[derive(Clone)]
pub(super) enum Op {
    /// A front-end event.
    Event { seq: u64, event: Event },
    /// An event of the server's own (hang-up by the operator, front-end
    /// lost), unless the call has ended.
    Server(Event),
    /// The call's deadline may have come: fire it if so. `owner`: this
    /// replica holds the call's Converse stream.
    Due { owner: bool },
}

impl Engine {
    fn shared(&self) -> Option<&Shared> {
        self.inner.shared.as_ref()
    }

    pub(super) async fn start_stored(
        &self,
        shared: &Shared,
        req: StartCall,
        subscriber: Option<Sink>,
    ) -> Result<Arc<TurnView>, CallError> {
        // The calls this replica holds (those whose events come here).
        let limit = self.inner.settings.max_live_calls;
        if self.inner.live_count.load(Ordering::Relaxed) >= limit {
            return Err(CallError::TooManyCalls { limit });
        }
        let (call, flow, rule) = self.new_call(req, subscriber)?;
        shared.publish(&flow).await?;
        let id = call.id().clone();
        let mut fork = {
            let mut s = call.lock();
            s.shared = Some(Box::new(SharedPart::new(
                0,
                (None, None),
                to_unix(s.kept.started),
            )));
            s.fork()
        };
        let settings = &self.inner.settings;
        let Some((view, outcome)) = call.server_event(&mut fork, Event::Start, settings) else {
            return Err(CallError::AlreadyExists(id.to_string()));
        };
        let write = self.write_of(shared, &id, &mut fork, 0, outcome.ended)?;
        match shared.store.save(&id, write).await {
            Ok(Saved::Saved(version)) => {
                info!(call_id = %id, flow = %flow.id(), version = %flow.version(), %rule, "call started");
                crate::metrics::call_started(flow.id());
                self.install(&call, fork, version);
                if let Some(old) = self.inner.live.get(&id) {
                    // A copy of an earlier call of this id (ended here
                    // and gone from the store since).
                    self.unhold(old.id());
                }
                self.hold(&call);
                self.stored_after(&call, outcome);
                Ok(view)
            }
            Ok(Saved::Conflict(_)) => Err(CallError::AlreadyExists(id.to_string())),
            Ok(Saved::Gone) => Err(CallError::StoreUnavailable(format!(
                "{} refused a new call",
                shared.store.describe()
            ))),
            Err(e) => Err(shared.unavailable(e)),
        }
    }

    /// A call's record, read from the shared store.
    pub(super) async fn record_stored(
        &self,
        who: Requester<'_>,
        call_id: &str,
    ) -> Result<CallRecord, CallError> {
        let Some(shared) = self.shared() else {
            return Err(CallError::NotStored);
        };
        let (stored, lines) = shared
            .store
            .record(call_id)
            .await
            .map_err(|e| shared.unavailable(e))?
            .ok_or_else(|| CallError::UnknownCall(call_id.to_owned()))?;
        let (flow, snapshot) = self.read(shared, call_id, &stored).await?;
        check_owner(&snapshot.kept.facts, who, call_id)?;
        let transcript = entries_of(&flow, call_id, &lines)?;
        let machine = &snapshot.kept.machine;
        Ok(CallRecord {
            call_id: call_id.into(),
            locale: flow.locales()[usize::from(machine.locale())].clone(),
            state: machine.state(),
            step: machine.step().cloned(),
            ended: machine.ended(),
            facts: (*snapshot.kept.facts).clone(),
            flow,
            transcript,
            transcript_dropped: stored.dropped,
            variables: super::session::variables_of(machine),
        })
    }

    /// Runs one operation on a stored call until it is stored or refused.
    /// `Ok(None)`: nothing to answer (a server event on an ended call, a
    /// deadline not yet due).
    pub(super) async fn run(
        &self,
        who: Requester<'_>,
        call_id: &str,
        op: Op,
    ) -> Result<Option<Arc<TurnView>>, CallError> {
        let Some(shared) = self.shared() else {
            return Ok(None);
        };
        let mut fresh = None;
        for _ in 0..ATTEMPTS {
            let call = match fresh.take() {
                Some(call) => call,
                None => self.cached_or_load(shared, call_id).await?,
            };
            let gate = call.lock().shared.as_ref().map(|p| p.gate.clone());
            let _turn = match gate {
                Some(gate) => Some(gate.lock_owned().await),
                None => None,
            };
            let (mut fork, expected) = {
                let s = call.lock();
                check_owner(&s.kept.facts, who, call_id)?;
                (s.fork(), s.shared.as_ref().map_or(0, |p| p.version))
            };
            let (view, outcome) = match self.apply(&call, &mut fork, &op) {
                Step::Answer(answer) => return answer.map(Some),
                Step::Nothing => return Ok(None),
                Step::Store(view, outcome) => (view, outcome),
                Step::Replay {
                    seq,
                    event,
                    last,
                    quiet,
                    flow,
                } => {
                    let id = call.id().clone();
                    return self
                        .replay(shared, &id, (seq, &event), last, quiet, flow)
                        .await
                        .map(Some);
                }
                Step::CheckAt(at) => {
                    let stored = shared.store.check_at(call.id(), at).await;
                    return stored.map(|()| None).map_err(|e| shared.unavailable(e));
                }
                Step::Unheld => {
                    // A streamed call's timers are its stream replica's.
                    // Only when no replica has held the stream for
                    // idle_timeout (none resumed it) is the front-end lost.
                    let lease = shared
                        .store
                        .lease(call.id(), &shared.replica, LEASE_TTL, false)
                        .await
                        .map_err(|e| shared.unavailable(e))?;
                    match lease {
                        Lease::Held => {}
                        Lease::Elsewhere => {
                            let idle = self.inner.settings.idle_timeout.as_millis() as u64;
                            let stored = shared.store.check_at(call.id(), unix_ms() + idle).await;
                            return stored.map(|()| None).map_err(|e| shared.unavailable(e));
                        }
                        Lease::Gone => {
                            self.forget(&call);
                            return Err(CallError::UnknownCall(call_id.to_owned()));
                        }
                    }
                    let settings = &self.inner.settings;
                    let lost = Event::FrontEndLost;
                    call.handle(&mut fork, 0, lost, settings)
                }
            };
            if let (Op::Event { seq, event }, Some(part)) = (&op, &mut fork.shared)
                && *seq > 0
            {
                part.last_answer = Some(view.turn.clone());
                part.last_event = Some(event.clone());
            }
            let write = self.write_of(shared, call.id(), &mut fork, expected, outcome.ended)?;
            match shared.store.save(call.id(), write).await {
                Ok(Saved::Saved(version)) => {
                    self.install(&call, fork, version);
                    self.stored_after(&call, outcome);
                    return Ok(Some(view));
                }
                Ok(Saved::Conflict(stored)) => {
                    // Another replica moved the call on: take its copy and
                    // run the operation again on that.
                    fresh = Some(self.refresh(shared, &call, &stored).await?);
                }
                Ok(Saved::Gone) => {
                    self.forget(&call);
                    return Err(CallError::UnknownCall(call_id.to_owned()));
                }
                Err(e) => return Err(shared.unavailable(e)),
            }
        }
        Err(CallError::StoreUnavailable(format!(
            "call {call_id:?} changed on other replicas {ATTEMPTS} times while this one tried to store an event; retry"
        )))
    }

    /// One operation on a working copy. What needs the store first (an
    /// older turn, a lease) comes back as a [`Step`] to finish.
    fn apply(&self, call: &Arc<Call>, fork: &mut Session, op: &Op) -> Step {
        let settings = &self.inner.settings;
        // A turn pushed late since the last write: said in the transcript
        // with whatever this operation stores.
        if let Some(note) = fork.shared.as_mut().and_then(|p| p.note.take()) {
            faults::note(fork, note, settings);
        }
        match op {
            Op::Event { seq, event } => {
                if fork.kept.is_retry(*seq) {
                    let last = fork
                        .shared
                        .as_ref()
                        .and_then(|p| p.last_answer.clone().zip(p.last_event.as_ref()));
                    return match last.filter(|_| *seq == fork.kept.last_event_seq) {
                        Some((turn, first)) => Step::Answer(
                            session::same_event(*seq, first, event).map(|()| call.view(fork, turn)),
                        ),
                        None => Step::Replay {
                            seq: *seq,
                            event: event.clone(),
                            last: fork.kept.last_event_seq,
                            quiet: Arc::new(fork.quiet_turn()),
                            flow: fork.kept.machine.flow().clone(),
                        },
                    };
                }
                if let Err(ended) = fork.kept.refuse_ended(call.id()) {
                    return Step::Answer(Err(ended));
                }
                let (view, outcome) = call.handle(fork, *seq, event.clone(), settings);
                Step::Store(view, outcome)
            }
            Op::Server(event) => match call.server_event(fork, event.clone(), settings) {
                Some((view, outcome)) => Step::Store(view, outcome),
                None => Step::Nothing,
            },
            Op::Due { owner } => {
                if fork.kept.machine.ended().is_some() {
                    return Step::Nothing;
                }
                if fork.kept.mode == Mode::Stream && !owner {
                    return Step::Unheld;
                }
                match fork.kept.deadline.clone() {
                    None => Step::Nothing,
                    Some((at, _)) if at > Instant::now() => {
                        if fork.kept.mode == Mode::Unary {
                            Step::CheckAt(to_unix(at))
                        } else {
                            self.inner.timers.schedule(call, at);
                            Step::Nothing
                        }
                    }
                    Some((at, Due::Event(event))) => {
                        fork.kept.deadline = None;
                        faults::note_if_late(fork, at, settings);
                        crate::metrics::timer_fired(Instant::now().saturating_duration_since(at));
                        let (view, outcome) = call.handle(fork, 0, event.into(), settings);
                        Step::Store(view, outcome)
                    }
                    Some((at, Due::PlaybackGuard)) => {
                        // No turn: the fault line and the listen's clock
                        // are stored, the timer turns come from NoInput.
                        fork.kept.deadline = None;
                        let timer = fork.playback_guard_passed(call.id(), at, settings);
                        let quiet = Arc::new(fork.quiet_turn());
                        let outcome = Outcome {
                            timer,
                            ..Outcome::default()
                        };
                        Step::Store(call.view(fork, quiet), outcome)
                    }
                }
            }
        }
    }

    /// The turn an older event produced, from the stored transcript.
    async fn replay(
        &self,
        shared: &Shared,
        call_id: &Arc<str>,
        (seq, event): (u64, &Event),
        last: u64,
        quiet: Arc<Turn>,
        flow: Arc<Flow>,
    ) -> Result<Arc<TurnView>, CallError> {
        let Some((_, lines)) = shared
            .store
            .record(call_id)
            .await
            .map_err(|e| shared.unavailable(e))?
        else {
            return Err(CallError::StaleSeq { seq, last });
        };
        let entries = entries_of(&flow, call_id, &lines)?;
        let turn = replayed(&entries, seq, event, last, || quiet)?;
        Ok(Arc::new(TurnView {
            call_id: call_id.clone(),
            flow,
            turn,
        }))
    }

    /// Keeps a stored working copy and sends its turns to the stream.
    fn install(&self, call: &Arc<Call>, mut fork: Session, version: u64) {
        let outbox = fork
            .shared
            .as_mut()
            .map(|p| {
                p.version = version;
                p.used = Instant::now();
                std::mem::take(&mut p.outbox)
            })
            .unwrap_or_default();
        let mut s = call.lock();
        s.install(fork);
        let mut gone = false;
        if let Some(sub) = &s.subscriber {
            for (view, last) in outbox {
                if sub.push(view, last).is_err() {
                    gone = true;
                    break;
                }
            }
        }
        if s.kept.machine.ended().is_some() || gone {
            s.subscriber = None;
        }
        let live = s.kept.machine.ended().is_none();
        drop(s);
        if gone && live {
            // The stream's reader went away or fell too far behind.
            let engine = self.clone();
            let id = call.id().clone();
            tokio::spawn(async move {
                let _ = engine.disconnected(&id).await;
            });
        }
    }

    /// After a stored operation: the timer entry a streamed call's new
    /// deadline needs; a call it ended is logged, counted and dropped from
    /// this replica's table (its record stays in the store).
    fn stored_after(&self, call: &Arc<Call>, outcome: Outcome) {
        if let Some(at) = outcome.timer {
            self.inner.timers.schedule(call, at);
        }
        if !outcome.ended {
            return;
        }
        self.call_ended(call);
        if let Some(records) = self.inner.settings.records.clone() {
            let engine = self.clone();
            let id = call.id().clone();
            tokio::spawn(async move {
                match engine.record_stored(None, &id).await {
                    Ok(record) => records.ended(record),
                    Err(e) => warn!(call_id = %id, error = %e, "no call record written"),
                }
            });
        }
        self.forget(call);
    }

    /// Drops this replica's copy of a call.
    fn forget(&self, call: &Arc<Call>) {
        let mine = self
            .inner
            .live
            .get(call.id())
            .is_some_and(|c| Arc::ptr_eq(&c, call));
        if mine {
            self.unhold(call.id());
        }
    }
}

/// A stored transcript's lines, read with the flow (version) they are of.
fn entries_of(flow: &Arc<Flow>, call_id: &str, lines: &[String]) -> Result<Vec<Entry>, CallError> {
    with_flow(flow, || {
        lines
            .iter()
            .map(|l| serde_json::from_str::<Entry>(l))
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|e| corrupt(call_id, e))
}

/// How long a Converse call's lease lasts without renewal.
pub(super) const LEASE_TTL: Duration = Duration::from_secs(3);
