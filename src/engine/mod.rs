//! Live calls: the session table, their timers and transcripts.
//!
//! Each call is a [`CallMachine`] behind its own mutex, found through a
//! sharded table. Handlers lock the one call they touch, feed it the event
//! and get the turn back directly: no per-call task, so an event costs a
//! lock rather than two task hand-offs (see ARCHITECTURE.md). One timer task
//! for the whole engine holds every call's deadline (`timers`).
//!
//! Knows nothing of wire types.

mod session;
mod table;
#[cfg(test)]
mod tests;
mod timers;

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use chrono::{DateTime, Utc};
use tokio::{sync::mpsc, time::Instant};
use tracing::{debug, info};

use session::{Call, Mode};
pub use session::{CallRecord, Entry, EntryKind, Turn, TurnView};

use crate::{
    call::{CallMachine, CallSetup, Event},
    flow::FlowRegistry,
};

/// Where a call's turns go when the server produces them by itself.
pub type Subscriber = mpsc::UnboundedSender<Arc<TurnView>>;

/// Engine settings (see `config`).
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// A unary call that hears nothing from its front-end for this long
    /// after its last listen period is ended as `FrontEndLost`.
    pub idle_timeout: Duration,
    /// How many ended calls keep their record for GetCall.
    pub retain_ended: usize,
    /// The most transcript entries a call keeps; older ones are dropped
    /// (and counted) so no front-end can grow a call without limit.
    pub max_transcript: usize,
    /// Where ended calls' records go (`records_file`), if anywhere.
    pub records: Option<crate::records::RecordSink>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            idle_timeout: Duration::from_secs(120),
            retain_ended: 100_000,
            max_transcript: 1_000,
            records: None,
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
}

/// The live calls of one service.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    flows: Arc<FlowRegistry>,
    live: table::Table,
    retained: Retained,
    timers: timers::TimerHandle,
    settings: EngineSettings,
    /// Assigned call ids: a per-engine prefix (from the start time, so ids
    /// differ across restarts) and a counter.
    id_prefix: u32,
    next_id: AtomicU64,
}

/// Ended calls, kept for GetCall/EndCall. Sharded like the live table:
/// calls retire on the timer task, and one big map growing (rehashing 100k
/// entries) under a lock there held up every timer due meanwhile by tens
/// of milliseconds (benches/engine.rs found it).
struct Retained {
    by_id: table::Table,
    /// Oldest first, for expiry.
    order: Mutex<VecDeque<Arc<str>>>,
}

impl Retained {
    fn get(&self, id: &str) -> Option<Arc<Call>> {
        self.by_id.get(id)
    }

    fn lock_order(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<str>>> {
        // A plain queue; a panic elsewhere cannot leave it torn.
        self.order.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Engine {
    /// Must be called inside a tokio runtime: it starts the timer task.
    pub fn new(flows: Arc<FlowRegistry>, settings: EngineSettings) -> Engine {
        let (timers, rx) = timers::TimerHandle::new();
        let inner = Arc::new(Inner {
            flows,
            live: table::Table::new(),
            retained: Retained {
                by_id: table::Table::new(),
                order: Mutex::new(VecDeque::new()),
            },
            timers,
            settings,
            id_prefix: id_prefix(),
            next_id: AtomicU64::new(1),
        });
        tokio::spawn(timers::run(rx, Arc::downgrade(&inner)));
        Engine { inner }
    }

    pub fn live_calls(&self) -> usize {
        self.inner.live.len()
    }

    /// Starts a call and returns its first turn. With a `subscriber` the
    /// call is driven by server timers and every turn is also sent there.
    pub fn start_call(
        &self,
        req: StartCall,
        subscriber: Option<Subscriber>,
    ) -> Result<Arc<TurnView>, CallError> {
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
        let at = req.at.unwrap_or_else(Utc::now);
        let opening = flow.choose_opening(at, &self.inner.flows.holidays());
        let machine = CallMachine::new(CallSetup {
            flow: flow.clone(),
            locale,
            opening: opening.prompt,
            day_part: opening.day_part,
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
        let call = Arc::new(Call::new(
            id.clone(),
            machine,
            session::Facts {
                caller: req.caller.into(),
                callee: req.callee.into(),
                local_start: opening.local.to_rfc3339().into(),
                opening_rule: opening.rule.to_string().into(),
            },
            mode,
            req.reports_playback,
            subscriber,
        ));
        if self.inner.retained.get(&id).is_some()
            || !self.inner.live.insert(id.clone(), call.clone())
        {
            return Err(CallError::AlreadyExists(id.to_string()));
        }
        info!(call_id = %id, flow = %flow.id(), version = %flow.version(), rule = %opening.rule, "call started");
        crate::metrics::call_started(flow.id());
        let view = self.step(&call, 0, Event::Start);
        Ok(view)
    }

    /// A fresh id for a call whose front-end gave none: fixed width, so
    /// every such call's turns have the same size on the wire.
    fn assign_id(&self) -> Arc<str> {
        loop {
            let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
            let id: Arc<str> = format!("cs-{:06x}-{n:010x}", self.inner.id_prefix).into();
            // A front-end may have chosen an id of the same shape.
            if self.inner.live.get(&id).is_none() && self.inner.retained.get(&id).is_none() {
                return id;
            }
        }
    }

    /// Feeds one front-end event to a call and returns the next turn.
    pub fn send_event(
        &self,
        call_id: &str,
        seq: u64,
        event: Event,
    ) -> Result<Arc<TurnView>, CallError> {
        let call = match self.inner.live.get(call_id) {
            Some(c) => c,
            None => {
                // A retry of the event that ended the call gets its turn back.
                let ended = self.inner.retained.get(call_id);
                return match ended {
                    Some(c) => c.replay(seq).unwrap_or_else(|| Err(c.ended_error())),
                    None => Err(CallError::UnknownCall(call_id.to_owned())),
                };
            }
        };
        if let Some(replayed) = call.replay(seq) {
            return replayed;
        }
        if call.is_ended() {
            return Err(call.ended_error());
        }
        Ok(self.step(&call, seq, event))
    }

    /// Runs one event through a call, arms its timer and retires it if the
    /// event ended it.
    fn step(&self, call: &Arc<Call>, seq: u64, event: Event) -> Arc<TurnView> {
        let settings = &self.inner.settings;
        crate::metrics::event(&event);
        let (view, outcome) = call.handle(seq, event, settings, &self.inner.timers);
        let turn = &view.turn;
        crate::metrics::turn(turn.state, turn.actions.is_empty() && turn.ended.is_none());
        if outcome.ended {
            info!(call_id = %call.id(), reason = turn.ended.map_or("unknown", |r| r.as_str()), "call ended");
            crate::metrics::call_ended(view.flow.id(), turn.ended);
            if let Some(records) = &settings.records {
                records.ended(call.record());
            }
            self.retire(call);
        } else if outcome.subscriber_gone {
            self.step(call, 0, Event::FrontEndLost);
        }
        view
    }

    /// Called by the timer task when a call's deadline may have passed.
    /// Returns the deadline to check again at, if it moved.
    fn on_timer(&self, call: &Arc<Call>, now: Instant) -> Option<Instant> {
        match call.due(now) {
            session::Due::Later(at) => Some(at),
            session::Due::NotArmed => None,
            session::Due::Now(event) => {
                debug!(call_id = %call.id(), ?event, "timer fired");
                self.step(call, 0, event);
                None
            }
        }
    }

    /// Ends a call from the operator side.
    pub fn end_call(&self, call_id: &str) -> Result<CallRecord, CallError> {
        if let Some(call) = self.inner.live.get(call_id) {
            if !call.is_ended() {
                self.step(&call, 0, Event::OperatorHangup);
            }
            return Ok(call.record());
        }
        self.inner
            .retained
            .get(call_id)
            .map(|c| c.record())
            .ok_or_else(|| CallError::UnknownCall(call_id.to_owned()))
    }

    pub fn get_call(&self, call_id: &str) -> Result<CallRecord, CallError> {
        if let Some(call) = self.inner.live.get(call_id) {
            return Ok(call.record());
        }
        self.inner
            .retained
            .get(call_id)
            .map(|c| c.record())
            .ok_or_else(|| CallError::UnknownCall(call_id.to_owned()))
    }

    /// The front-end of a streamed call went away.
    pub fn disconnected(&self, call_id: &str) {
        if let Some(call) = self.inner.live.get(call_id).filter(|c| !c.is_ended()) {
            self.step(&call, 0, Event::FrontEndLost);
        }
    }

    /// Ends every live call (service shutdown); their records are kept.
    pub fn shutdown(&self) {
        for call in self.inner.live.all() {
            if !call.is_ended() {
                self.step(&call, 0, Event::Shutdown);
            }
        }
    }

    /// Moves an ended call from the live table to the retained records.
    /// Filed before it is removed, so a GetCall in between finds it.
    fn retire(&self, call: &Arc<Call>) {
        let retained = &self.inner.retained;
        if retained.by_id.insert(call.id().clone(), call.clone()) {
            let mut order = retained.lock_order();
            order.push_back(call.id().clone());
            while order.len() > self.inner.settings.retain_ended {
                if let Some(old) = order.pop_front() {
                    retained.by_id.remove(&old);
                }
            }
        }
        self.inner.live.remove(call.id());
    }
}

/// Six hex digits that change every second across restarts (they repeat
/// after about 194 days, long after any retained record has expired).
fn id_prefix() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs & 0xff_ffff) as u32
}
