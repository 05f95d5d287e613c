//! What the studio's operators' view reads of the calls in this process:
//! the live ones and the newest ended ones, as records. Read-only; with a
//! shared store, the calls this replica holds.

use std::{sync::Arc, time::Duration};

use super::super::{CallRecord, Engine};

impl Engine {
    /// Up to `limit` live calls of this process, each with how long it has
    /// lasted.
    pub fn live_listing(&self, limit: usize) -> Vec<(CallRecord, Duration)> {
        self.inner
            .live
            .all()
            .iter()
            .take(limit)
            .map(|call| {
                let (_, _, lasted) = call.ending();
                (call.record(), lasted)
            })
            .collect()
    }

    /// Up to `limit` of the ended calls this process keeps, newest first.
    pub fn recent_ended(&self, limit: usize) -> Vec<CallRecord> {
        let ids: Vec<Arc<str>> = self
            .inner
            .retained
            .lock_order()
            .queue
            .iter()
            .rev()
            .take(limit)
            .map(|(id, _)| id.clone())
            .collect();
        ids.iter()
            .filter_map(|id| self.inner.retained.get(id))
            .map(|call| call.record())
            .collect()
    }
}
