//! The call store in one process's memory, with Redis's semantics: a
//! compare-and-set on each call's version, the transcript appended and
//! trimmed in the same step, a due index handed out once per claim,
//! leases and published flow sources. Every operation completes at once.
//!
//! Engines that share one [`MemoryStore`] behave like replicas sharing a
//! Redis, so the shared path (replicas racing on a call, a retried seq on
//! another replica, a resumed stream) is tested without a Redis server.
//! `store = "memory"` does not use it: a lone process keeps its live calls
//! in its own table and writes no snapshots.

use std::{
    collections::{HashMap, VecDeque},
    future::ready,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use tokio::time::Instant;

use super::{CallStore, Lease, Saved, StoreError, StoreFuture, Stored, Write};

/// How long a claimed call is left to its claimer (as in Redis).
const CLAIM_HOLD_MS: u64 = 30_000;

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    calls: HashMap<String, Kept>,
    /// Call id → when some replica should look at it (unix ms).
    due: HashMap<String, u64>,
    /// Call id → the replica holding its timers, until when.
    leases: HashMap<String, (String, Instant)>,
    flows: HashMap<(String, String), String>,
    /// Writes refused because another writer came first.
    conflicts: u64,
}

struct Kept {
    stored: Stored,
    log: VecDeque<String>,
    /// An ended call's keys expire.
    expires: Option<Instant>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Loses every call and lease, as a Redis restarted empty (or
    /// FLUSHALL) does; the due index keeps its entries, as a replica's
    /// claim can put one back just after.
    pub fn wipe(&self) {
        let mut state = self.lock();
        state.calls.clear();
        state.leases.clear();
    }

    /// How many writes lost a compare-and-set so far.
    pub fn conflicts(&self) -> u64 {
        self.lock().conflicts
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain maps, each changed in one statement: a panic elsewhere
        // cannot leave them torn.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// The call, unless it has expired (then it is gone, as in Redis).
    fn call(&mut self, call_id: &str) -> Option<&mut Kept> {
        let expired = self
            .calls
            .get(call_id)
            .is_some_and(|k| k.expires.is_some_and(|at| at <= Instant::now()));
        if expired {
            self.calls.remove(call_id);
        }
        self.calls.get_mut(call_id)
    }

    fn save(&mut self, call_id: &str, write: Write) -> Saved {
        let saved = self.write(call_id, &write);
        if matches!(saved, Saved::Saved(_)) {
            match write.check_at {
                Some(at) => self.due.insert(call_id.to_owned(), at),
                None => self.due.remove(call_id),
            };
        }
        saved
    }

    fn write(&mut self, call_id: &str, write: &Write) -> Saved {
        let current = self.call(call_id).map(|k| k.stored.clone());
        let version = current.as_ref().map_or(0, |s| s.version);
        if version != write.expected {
            if version == 0 {
                return Saved::Gone;
            }
            self.conflicts += 1;
            return Saved::Conflict(current.expect("a version above 0 is a stored call"));
        }
        let kept = self
            .calls
            .entry(call_id.to_owned())
            .or_insert_with(|| Kept {
                stored: Stored {
                    version: 0,
                    snapshot: String::new(),
                    dropped: 0,
                },
                log: VecDeque::new(),
                expires: None,
            });
        kept.stored.version += 1;
        kept.stored.snapshot.clone_from(&write.snapshot);
        kept.log.extend(write.entries.iter().cloned());
        let max = write.max_transcript.max(1);
        while kept.log.len() > max {
            kept.log.pop_front();
            kept.stored.dropped += 1;
        }
        if let Some(ttl) = write.ended_ttl {
            kept.expires = Some(Instant::now() + ttl.max(Duration::from_millis(1)));
        }
        Saved::Saved(kept.stored.version)
    }
}

impl CallStore for MemoryStore {
    fn describe(&self) -> &str {
        "the memory store"
    }

    fn load<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, Option<Stored>> {
        let stored = self.lock().call(call_id).map(|k| k.stored.clone());
        Box::pin(ready(Ok(stored)))
    }

    fn save<'a>(&'a self, call_id: &'a str, write: Write) -> StoreFuture<'a, Saved> {
        let saved = self.lock().save(call_id, write);
        Box::pin(ready(Ok(saved)))
    }

    fn record<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, Option<(Stored, Vec<String>)>> {
        let record = self
            .lock()
            .call(call_id)
            .map(|k| (k.stored.clone(), k.log.iter().cloned().collect()));
        Box::pin(ready(Ok(record)))
    }

    fn claim_due(&self, now_ms: u64, limit: usize) -> StoreFuture<'_, Vec<String>> {
        let mut state = self.lock();
        let mut due: Vec<(u64, String)> = state
            .due
            .iter()
            .filter(|(_, at)| **at <= now_ms)
            .map(|(id, at)| (*at, id.clone()))
            .collect();
        due.sort();
        due.truncate(limit);
        for (_, id) in &due {
            state.due.insert(id.clone(), now_ms + CLAIM_HOLD_MS);
        }
        Box::pin(ready(Ok(due.into_iter().map(|(_, id)| id).collect())))
    }

    fn check_at<'a>(&'a self, call_id: &'a str, at_ms: u64) -> StoreFuture<'a, ()> {
        self.lock().due.insert(call_id.to_owned(), at_ms);
        Box::pin(ready(Ok(())))
    }

    fn lease<'a>(
        &'a self,
        call_id: &'a str,
        owner: &'a str,
        ttl: Duration,
        take: bool,
    ) -> StoreFuture<'a, Lease> {
        let mut state = self.lock();
        if state.call(call_id).is_none() {
            return Box::pin(ready(Ok(Lease::Gone)));
        }
        let now = Instant::now();
        let free = match state.leases.get(call_id) {
            None => true,
            Some((holder, until)) => *until <= now || holder == owner,
        };
        let got = free || take;
        if got {
            let until = now + ttl.max(Duration::from_millis(1));
            state
                .leases
                .insert(call_id.to_owned(), (owner.to_owned(), until));
        }
        Box::pin(ready(Ok(if got { Lease::Held } else { Lease::Elsewhere })))
    }

    fn forget_due<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, ()> {
        self.lock().due.remove(call_id);
        Box::pin(ready(Ok(())))
    }

    fn release<'a>(&'a self, call_id: &'a str, owner: &'a str) -> StoreFuture<'a, ()> {
        let mut state = self.lock();
        if state.leases.get(call_id).is_some_and(|(h, _)| h == owner) {
            state.leases.remove(call_id);
        }
        Box::pin(ready(Ok(())))
    }

    fn publish_flow<'a>(
        &'a self,
        flow: &'a str,
        version: &'a str,
        source: &'a str,
    ) -> StoreFuture<'a, ()> {
        let key = (flow.to_owned(), version.to_owned());
        self.lock().flows.insert(key, source.to_owned());
        Box::pin(ready(Ok(())))
    }

    fn flow_source<'a>(
        &'a self,
        flow: &'a str,
        version: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        let key = (flow.to_owned(), version.to_owned());
        let source = self.lock().flows.get(&key).cloned();
        Box::pin(ready(Ok(source)))
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(ready(Ok::<(), StoreError>(())))
    }
}
