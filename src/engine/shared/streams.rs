//! What runs beside the requests: the store's due deadlines, Converse
//! timers and leases, resuming a call on another replica, draining.

use super::*;

/// How often a replica looks for due calls in the store.
const DUE_POLL: Duration = Duration::from_millis(100);
/// A replica's copy of a front-end-driven call it has not used for this
/// long is dropped (the store has the call).
const IDLE_COPY: Duration = Duration::from_secs(60);

/// Fires the store's due deadlines (front-ends gone quiet, streams no
/// replica holds), each on exactly one replica; drops idle copies.
pub(in crate::engine) async fn watch_due(inner: std::sync::Weak<crate::engine::Inner>) {
    let mut tick = tokio::time::interval(DUE_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut swept = Instant::now();
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let engine = Engine { inner };
        let Some(shared) = engine.shared() else {
            return;
        };
        if engine.inner.draining.load(Ordering::Relaxed) {
            // Leaving: the other replicas fire them.
            continue;
        }
        // An unreachable store is reported by health and the calls' own
        // statuses; this loop just tries again.
        if let Ok(due) = shared.store.claim_due(unix_ms(), 256).await {
            for id in due {
                let engine = engine.clone();
                tokio::spawn(async move {
                    match engine.run(None, &id, Op::Due { owner: false }).await {
                        Ok(_) => {}
                        Err(CallError::UnknownCall(_)) => engine.forget_lost_due(&id).await,
                        Err(e) => {
                            static WARNED: std::sync::atomic::AtomicU64 =
                                std::sync::atomic::AtomicU64::new(0);
                            if crate::engine::once_a_second(&WARNED) {
                                warn!(call_id = ?id, error = %e, "a due call could not be handled; it is claimed again later");
                            }
                        }
                    }
                });
            }
        }
        if swept.elapsed() >= IDLE_COPY {
            swept = Instant::now();
            for call in engine.inner.live.all() {
                let idle = {
                    let s = call.lock();
                    s.subscriber.is_none()
                        && s.shared
                            .as_ref()
                            .is_some_and(|p| p.used.elapsed() >= IDLE_COPY)
                };
                if idle {
                    engine.forget(&call);
                }
            }
        }
    }
}

impl Engine {
    /// A Converse call's timer on this replica: fired through the store.
    pub(in crate::engine) fn fire_stored(&self, call: &Arc<Call>) {
        let owner = call.lock().subscriber.is_some();
        let engine = self.clone();
        let id = call.id().clone();
        tokio::spawn(async move {
            if let Err(e) = engine.run(None, &id, Op::Due { owner }).await {
                engine.timer_not_stored(&id, e);
            }
        });
    }

    /// Draining with a shared store: this replica lets its calls go (they
    /// are stored; Converse streams are told to resume elsewhere).
    pub(in crate::engine) fn let_go(&self) {
        let Some(shared) = self.shared() else { return };
        shared.leaving.send_replace(true);
        for call in self.inner.live.all() {
            call.lock().subscriber = None;
            self.unhold(call.id());
        }
    }

    /// [`Engine::resume`] on the shared store.
    pub(in crate::engine) async fn resume_stored(
        &self,
        shared: &Shared,
        who: Requester<'_>,
        call_id: &str,
        subscriber: Sink,
    ) -> Result<(), CallError> {
        if self.inner.draining.load(Ordering::Relaxed) {
            return Err(CallError::ShuttingDown);
        }
        let stored = shared
            .store
            .load(call_id)
            .await
            .map_err(|e| shared.unavailable(e))?
            .ok_or_else(|| CallError::UnknownCall(call_id.to_owned()))?;
        let (flow, snapshot) = self.read(shared, call_id, &stored).await?;
        check_owner(&snapshot.kept.facts, who, call_id)?;
        if let Some(reason) = snapshot.kept.machine.ended() {
            return Err(CallError::Ended {
                call_id: call_id.to_owned(),
                reason: reason.as_str(),
            });
        }
        if snapshot.kept.mode != Mode::Stream {
            return Err(CallError::NotStreamed(call_id.to_owned()));
        }
        // The front-end lost its stream: whoever held the lease has lost
        // the call; it learns so at its next renewal.
        let lease = shared
            .store
            .lease(call_id, &shared.replica, LEASE_TTL, true)
            .await
            .map_err(|e| shared.unavailable(e))?;
        match lease {
            // Taken by force: the old holder lost the call.
            Lease::Held | Lease::Elsewhere => {}
            Lease::Gone => return Err(CallError::UnknownCall(call_id.to_owned())),
        }
        let call = restored(call_id, flow, snapshot, &stored, Some(subscriber));
        {
            let s = call.lock();
            if let Some((at, _)) = s.kept.deadline {
                self.inner.timers.schedule(&call, at);
            }
        }
        if let Some(old) = self.inner.live.get(call_id) {
            old.lock().subscriber = None;
            self.forget(&old);
        }
        self.hold(&call);
        info!(%call_id, "call resumed");
        Ok(())
    }

    /// While a Converse stream lives on this replica: renews the call's
    /// lease, and returns why the stream must close (another replica
    /// resumed the call, or this one is draining). Never returns with the
    /// memory store.
    pub async fn hold_stream(&self, call_id: &str) -> StreamClosed {
        let Some(shared) = self.shared() else {
            return std::future::pending().await;
        };
        let mut leaving = shared.leaving.subscribe();
        let mut renew = tokio::time::interval(LEASE_TTL / 3);
        loop {
            tokio::select! {
                _ = renew.tick() => {
                    match shared.store.lease(call_id, &shared.replica, LEASE_TTL, false).await {
                        Ok(Lease::Held) | Err(_) => {}
                        Ok(Lease::Gone) => {
                            self.lost(call_id);
                            return StreamClosed::Lost;
                        }
                        Ok(Lease::Elsewhere) => {
                            if let Some(call) = self.inner.live.get(call_id) {
                                call.lock().subscriber = None;
                                self.forget(&call);
                            }
                            return StreamClosed::ResumedElsewhere;
                        }
                    }
                }
                () = until_leaving(&mut leaving) => break,
            }
        }
        // Draining: the lease goes now, so a resume elsewhere meets no owner.
        let _ = shared.store.release(call_id, &shared.replica).await;
        StreamClosed::Draining
    }
}

/// Returns once this replica drains.
async fn until_leaving(leaving: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        let now = *leaving.borrow_and_update();
        if now {
            return;
        }
        if leaving.changed().await.is_err() {
            // The engine is gone; nothing will drain.
            return std::future::pending().await;
        }
    }
}

/// Why a Converse stream on this replica must close though its call goes
/// on (see README "Rolling restarts").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamClosed {
    /// This replica is draining: resume the call on another.
    Draining,
    /// The front-end resumed the call on another replica.
    ResumedElsewhere,
    /// The store lost the call (Redis restarted empty, or flushed): it
    /// cannot go on anywhere.
    Lost,
}
