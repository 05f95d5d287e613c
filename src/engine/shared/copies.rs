//! This replica's copies of stored calls: read from the store when a
//! request first needs one, and brought up to date when a compare-and-set
//! says another writer moved the call on.

use super::*;

impl Engine {
    /// This replica's copy of a call, or the stored call read into one.
    pub(super) async fn cached_or_load(
        &self,
        shared: &Shared,
        call_id: &str,
    ) -> Result<Arc<Call>, CallError> {
        if let Some(call) = self.inner.live.get(call_id) {
            return Ok(call);
        }
        let stored = shared
            .store
            .load(call_id)
            .await
            .map_err(|e| shared.unavailable(e))?
            .ok_or_else(|| CallError::UnknownCall(call_id.to_owned()))?;
        let (flow, snapshot) = self.read(shared, call_id, &stored).await?;
        let ended = snapshot.kept.machine.ended().is_some();
        let call = restored(call_id, flow, snapshot, &stored, None);
        if ended {
            // Ended calls are read, not kept.
            return Ok(call);
        }
        if self.hold(&call) {
            Ok(call)
        } else {
            // Another request here read it at the same time.
            Ok(self.inner.live.get(call_id).unwrap_or(call))
        }
    }

    /// Brings this replica's copy of a call up to a newer stored version.
    pub(super) async fn refresh(
        &self,
        shared: &Shared,
        call: &Arc<Call>,
        stored: &Stored,
    ) -> Result<Arc<Call>, CallError> {
        let (flow, snapshot) = self.read(shared, call.id(), stored).await?;
        let fresh = restored(call.id(), flow, snapshot, stored, None);
        let newer = {
            let s = call.lock();
            s.shared.as_ref().is_none_or(|p| p.version < stored.version)
        };
        if newer {
            let fork = fresh.lock().fork();
            let (heard, stored_turns) = {
                let mut s = call.lock();
                // The stream has every turn up to the copy's own: a newer
                // stored turn was written by an operation here whose
                // answer the store never gave (it stalled), so nobody
                // heard it yet.
                let heard = s.subscriber.is_some().then_some(s.kept.turn_seq);
                s.install(fork);
                if let Some(p) = &mut s.shared {
                    p.version = stored.version;
                }
                (heard, s.kept.turn_seq)
            };
            if let Some(heard) = heard.filter(|h| *h < stored_turns) {
                self.push_unheard(shared, call, heard).await?;
            }
            let ended = {
                let mut s = call.lock();
                let ended = s.kept.machine.ended().is_some();
                if ended {
                    s.subscriber = None;
                }
                ended
            };
            if ended {
                self.forget(call);
            }
        }
        Ok(call.clone())
    }
}
