//! Calls in this process's memory (`store = "memory"`, the default): the
//! sharded table of live calls is the truth, every operation is one
//! critical section under the call's lock and answers before it returns,
//! and ended calls are kept for GetCall in a bounded set of records.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, atomic::Ordering},
};

use tokio::time::Instant;
use tracing::{info, warn};

use super::{
    CallError, CallRecord, Engine, Requester, Sink, StartCall, TurnView,
    session::{Call, Fired, Outcome, check_owner},
    table,
};
use crate::call::Event;

mod listing;

static REFUSED_WARNED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Ended calls, kept for GetCall/EndCall. Sharded like the live table:
/// calls retire on the timer task, and one big map growing (rehashing 100k
/// entries) under a lock there held up every timer due meanwhile by tens
/// of milliseconds (benches/engine.rs found it).
pub(super) struct Retained {
    by_id: table::Table,
    /// Oldest first, for expiry, with each record's approximate size.
    order: Mutex<RetainedOrder>,
}

#[derive(Default)]
struct RetainedOrder {
    queue: VecDeque<(Arc<str>, usize)>,
    bytes: usize,
}

impl Retained {
    pub(super) fn new() -> Retained {
        Retained {
            by_id: table::Table::new(),
            order: Mutex::new(RetainedOrder::default()),
        }
    }

    pub(super) fn get(&self, id: &str) -> Option<Arc<Call>> {
        self.by_id.get(id)
    }

    fn lock_order(&self) -> std::sync::MutexGuard<'_, RetainedOrder> {
        // A plain queue; a panic elsewhere cannot leave it torn.
        self.order.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Engine {
    pub(super) fn start_local(
        &self,
        req: StartCall,
        subscriber: Option<Sink>,
    ) -> Result<Arc<TurnView>, CallError> {
        let (call, flow, rule) = self.new_call(req, subscriber)?;
        let id = call.id().clone();
        let limit = self.inner.settings.max_live_calls;
        if self.inner.live_count.fetch_add(1, Ordering::AcqRel) >= limit {
            self.inner.live_count.fetch_sub(1, Ordering::AcqRel);
            if super::once_a_second(&REFUSED_WARNED) {
                warn!(limit, "new calls are refused: max_live_calls are live");
            }
            return Err(CallError::TooManyCalls { limit });
        }
        // The call is locked before it can be found, so an event racing the
        // start waits for the opening instead of overtaking it.
        let mut s = call.lock();
        if self.inner.retained.get(&id).is_some()
            || !self.inner.live.insert(id.clone(), call.clone())
        {
            self.inner.live_count.fetch_sub(1, Ordering::AcqRel);
            return Err(CallError::AlreadyExists(id.to_string()));
        }
        info!(call_id = %id, flow = %flow.id(), version = %flow.version(), %rule, "call started");
        crate::metrics::call_started(flow.id());
        let settings = &self.inner.settings;
        let started = call.server_event(&mut s, Event::Start, settings);
        drop(s);
        let (view, outcome) = started.expect("a new call has not ended");
        self.after(&call, outcome);
        Ok(view)
    }

    /// A live call, or an ended one still kept, that `who` may touch.
    fn find(&self, who: Requester<'_>, call_id: &str) -> Result<Arc<Call>, CallError> {
        let call = self
            .inner
            .live
            .get(call_id)
            .or_else(|| self.inner.retained.get(call_id))
            .ok_or_else(|| CallError::UnknownCall(call_id.to_owned()))?;
        if who.is_some() {
            // Locked only when there is an owner to check: the open
            // service's events take the call's lock once, in `send`.
            check_owner(&call.lock().kept.facts, who, call_id)?;
        }
        Ok(call)
    }

    /// Whether this process holds a call of this id, live or kept.
    pub(super) fn holds(&self, call_id: &str) -> bool {
        self.inner.live.get(call_id).is_some() || self.inner.retained.get(call_id).is_some()
    }

    pub(super) fn send_local(
        &self,
        who: Requester<'_>,
        call_id: &str,
        seq: u64,
        event: Event,
    ) -> Result<Arc<TurnView>, CallError> {
        // A retry of the event that ended the call finds it retained and
        // gets its turn back.
        let call = self.find(who, call_id)?;
        let (view, outcome) = call.send(seq, event, &self.inner.settings)?;
        self.after(&call, outcome);
        Ok(view)
    }

    pub(super) fn end_local(
        &self,
        who: Requester<'_>,
        call_id: &str,
    ) -> Result<CallRecord, CallError> {
        let call = self.find(who, call_id)?;
        self.end_with(&call, Event::OperatorHangup);
        Ok(call.record())
    }

    pub(super) fn record_local(
        &self,
        who: Requester<'_>,
        call_id: &str,
    ) -> Result<CallRecord, CallError> {
        Ok(self.find(who, call_id)?.record())
    }

    pub(super) fn disconnected_local(&self, call_id: &str) {
        if let Some(call) = self.inner.live.get(call_id) {
            self.end_with(&call, Event::FrontEndLost);
        }
    }

    pub(super) fn shutdown_local(&self) {
        for call in self.inner.live.all() {
            self.end_with(&call, Event::Shutdown);
        }
    }

    /// A server-side event, unless the call has already ended.
    fn end_with(&self, call: &Arc<Call>, event: Event) {
        let settings = &self.inner.settings;
        let done = call.server_event(&mut call.lock(), event, settings);
        if let Some((_, outcome)) = done {
            self.after(call, outcome);
        }
    }

    /// After an operation on a call, out of its lock: the timer entry its
    /// new deadline needs; and a call it ended retires: the "call ended"
    /// log line, the metric and the call detail record, then the move to
    /// the retained records.
    fn after(&self, call: &Arc<Call>, outcome: Outcome) {
        if let Some(at) = outcome.timer {
            self.inner.timers.schedule(call, at);
        }
        if outcome.ended {
            self.call_ended(call);
            // The record (a copy of the transcript) only when a records
            // file wants it.
            if let Some(records) = &self.inner.settings.records {
                records.ended(call.record());
            }
            self.retire(call);
        }
    }

    /// Called by the timer task when a call's deadline may have passed.
    /// Returns the deadline to check again at, if it moved.
    pub(super) fn on_timer(&self, call: &Arc<Call>, now: Instant) -> Option<Instant> {
        if self.inner.shared.is_some() {
            // Stored calls fire through the store (one replica only).
            self.fire_stored(call);
            return None;
        }
        match call.fire(now, &self.inner.settings) {
            Fired::Later(at) => Some(at),
            Fired::NotArmed => None,
            // The timer task takes the entry itself.
            Fired::Handled(outcome) => {
                let timer = outcome.timer;
                self.after(
                    call,
                    Outcome {
                        timer: None,
                        ..outcome
                    },
                );
                timer
            }
        }
    }

    /// Moves an ended call from the live table to the retained records.
    /// Filed before it is removed, so a GetCall in between finds it.
    fn retire(&self, call: &Arc<Call>) {
        // The call no longer holds its connection open (the drain).
        drop(call.lock().anchor.take());
        let retained = &self.inner.retained;
        let settings = &self.inner.settings;
        if retained.by_id.insert(call.id().clone(), call.clone()) {
            let size = call.lock().approx_bytes();
            let mut order = retained.lock_order();
            order.queue.push_back((call.id().clone(), size));
            order.bytes += size;
            while order.queue.len() > settings.retain_ended
                || (order.bytes > settings.retain_ended_bytes && order.queue.len() > 1)
            {
                if let Some((old, size)) = order.queue.pop_front() {
                    order.bytes -= size;
                    retained.by_id.remove(&old);
                }
            }
        }
        self.unhold(call.id());
    }
}
