//! The store failing under a live call: a stall (it takes a write but its
//! answer never comes in time) and a loss (it restarted empty, or was
//! flushed). A turn is recorded only when it was heard or still can be:
//! a timer whose write was not confirmed fires again until it is, and a
//! turn the store took without saying so is pushed once the store
//! answers, with a transcript line saying how late; a call the store lost
//! ends with a last turn and a clear status instead of dead air.

use super::*;

/// A turn this much after its deadline is noted in the transcript.
const LATE: Duration = Duration::from_secs(1);
/// How soon a timer whose write was not confirmed fires again.
const RETRY: Duration = Duration::from_millis(500);

/// A transcript line about the service's own trouble, at the call's now.
pub(super) fn note(fork: &mut Session, note: Arc<str>, settings: &crate::engine::EngineSettings) {
    let offset = Instant::now().saturating_duration_since(fork.kept.started);
    fork.log(
        Entry {
            offset,
            kind: crate::engine::EntryKind::Fault(note),
        },
        settings,
    );
}

/// Before a timer's turn: if it comes more than [`LATE`] after its
/// deadline (the store did not answer in time), the transcript says so.
pub(super) fn note_if_late(
    fork: &mut Session,
    at: Instant,
    settings: &crate::engine::EngineSettings,
) {
    let late = Instant::now().saturating_duration_since(at);
    if late >= LATE {
        note(fork, late_note(late), settings);
    }
}

fn late_note(late: Duration) -> Arc<str> {
    format!(
        "not the front-end: the call store did not answer; the next turn went out {} ms after its deadline",
        late.as_millis()
    )
    .into()
}

impl Engine {
    /// A Converse call's timer whose write failed. A store that did not
    /// answer may still have taken the write: the timer fires again soon,
    /// and then either stores its turn late or learns (compare-and-set)
    /// that the store has it and pushes it ([`Engine::push_unheard`]).
    pub(super) fn timer_not_stored(&self, call_id: &str, e: CallError) {
        match e {
            CallError::StoreUnavailable(_) => {
                static WARNED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                if crate::engine::once_a_second(&WARNED) {
                    warn!(call_id = ?call_id, error = %e, "a call's timer could not be stored; it fires again until the store answers");
                }
                if let Some(call) = self.inner.live.get(call_id) {
                    self.inner.timers.schedule(&call, Instant::now() + RETRY);
                }
            }
            // The store lost the call: its stream ends at the lease's
            // next renewal (`hold_stream`).
            CallError::UnknownCall(_) => {}
            other => {
                warn!(call_id = ?call_id, error = %other, "a call's timer could not be handled")
            }
        }
    }

    /// Pushes the turns after `heard` in the stored transcript to the
    /// call's stream, late, and notes in the transcript how late.
    pub(super) async fn push_unheard(
        &self,
        shared: &Shared,
        call: &Arc<Call>,
        heard: u64,
    ) -> Result<(), CallError> {
        let (flow, started) = {
            let s = call.lock();
            (s.kept.machine.flow().clone(), s.kept.started)
        };
        let Some((_, lines)) = shared
            .store
            .record(call.id())
            .await
            .map_err(|e| shared.unavailable(e))?
        else {
            return Err(CallError::UnknownCall(call.id().to_string()));
        };
        let entries = entries_of(&flow, call.id(), &lines)?;
        let mut latest = None;
        let mut s = call.lock();
        {
            let Some(sub) = &s.subscriber else {
                return Ok(());
            };
            for entry in &entries {
                let crate::engine::EntryKind::Turn(turn) = &entry.kind else {
                    continue;
                };
                if turn.seq <= heard {
                    continue;
                }
                let _ = sub.push(call.view(&s, turn.clone()), turn.ended.is_some());
                latest = Some(entry.offset);
            }
        }
        let Some(offset) = latest else {
            return Ok(());
        };
        let late = Instant::now().saturating_duration_since(started + offset);
        // The caller's clock starts when the turn reached them: the
        // listen it asked for is given in full.
        if let Some((at, _)) = &mut s.kept.deadline {
            *at += late;
        }
        if let Some(part) = &mut s.shared {
            part.note = Some(
                format!(
                    "not the front-end: the call store stalled; the turns after turn {heard} reached the stream {} ms after they were recorded",
                    late.as_millis()
                )
                .into(),
            );
        }
        drop(s);
        warn!(call_id = ?call.id(), late_ms = late.as_millis() as u64, "turns the store took while it stalled were pushed late");
        Ok(())
    }

    /// The store no longer has a Converse call this replica streams: the
    /// caller hears the flow's last words for a call that cannot go on
    /// (as at a shutdown) rather than dead air, and the stream ends
    /// ([`StreamClosed::Lost`]).
    pub(super) fn lost(&self, call_id: &str) {
        let Some(call) = self.inner.live.get(call_id) else {
            return;
        };
        warn!(call_id = ?call_id, "the call store lost this call (restarted empty or flushed); the call ends");
        let settings = &self.inner.settings;
        let ended = {
            let mut s = call.lock();
            // Not through the stream itself: a last turn closes it, and the
            // status saying why must still follow (the gRPC edge adds it).
            let subscriber = s.subscriber.take();
            let ended = call.server_event(&mut s, Event::Shutdown, settings);
            let outbox = s
                .shared
                .as_mut()
                .map(|p| std::mem::take(&mut p.outbox))
                .unwrap_or_default();
            if let Some(sub) = subscriber {
                for (view, _) in outbox {
                    let _ = sub.push(view, false);
                }
            }
            ended.is_some()
        };
        if ended {
            self.call_ended(&call);
        }
        self.forget(&call);
    }

    /// A due entry whose call the store no longer has: dropped after one
    /// warning, rather than claimed again every 30 s for ever.
    pub(super) async fn forget_lost_due(&self, call_id: &str) {
        let Some(shared) = self.shared() else { return };
        warn!(call_id = ?call_id, "a due call is gone from the call store (restarted empty or flushed); its deadline is dropped");
        if let Err(e) = shared.store.forget_due(call_id).await {
            shared.unavailable(e);
        }
    }
}
