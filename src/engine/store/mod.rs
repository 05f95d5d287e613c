//! Where call state lives between events when several replicas share it.
//!
//! `store = "memory"` (the default) has no [`CallStore`]: each process's
//! own call table is the truth and nothing else runs on the event path.
//! `store = "redis://HOST:PORT/DB"` puts every call's snapshot, transcript
//! and deadline in Redis ([`redis::RedisStore`]), so any replica can answer
//! for any call and a restart loses none (ARCHITECTURE.md "The call store").
//! [`memory::MemoryStore`] keeps the same in one process with the same
//! compare-and-set: engines sharing one behave like replicas sharing a
//! Redis, which is how the shared path is unit-tested.
//!
//! The trait speaks in serialized snapshots and transcript lines: what a
//! snapshot holds is the engine's business (`engine::shared`), how it is
//! kept is the store's.

pub mod memory;
pub mod redis;

use std::{future::Future, pin::Pin, time::Duration};

/// A store operation's future.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The store could not be reached or refused the operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// A call as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Bumped by every write; the compare-and-set checks it.
    pub version: u64,
    pub snapshot: String,
    /// Transcript lines dropped from the front (`max_transcript_entries`).
    pub dropped: u64,
}

/// One compare-and-set write of a call.
#[derive(Debug, Clone)]
pub struct Write {
    /// The version the writer read; 0 writes a new call, which must not
    /// exist yet.
    pub expected: u64,
    pub snapshot: String,
    /// Transcript lines to append, oldest first.
    pub entries: Vec<String>,
    /// The transcript's bound.
    pub max_transcript: usize,
    /// Set when the call has ended: its keys expire after this.
    pub ended_ttl: Option<Duration>,
    /// When a replica should next look at the call (unix ms), if ever.
    pub check_at: Option<u64>,
}

/// What became of a write.
#[derive(Debug, Clone)]
pub enum Saved {
    /// Written as this version.
    Saved(u64),
    /// Someone else wrote first (or, for a new call, it exists): the
    /// call as it now is.
    Conflict(Stored),
    /// The call is not in the store (expired, or never written).
    Gone,
}

/// The shared call store.
pub trait CallStore: Send + Sync {
    /// Where the store is, for messages ("Redis at 10.0.0.5:6379").
    fn describe(&self) -> &str;

    fn load<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, Option<Stored>>;

    fn save<'a>(&'a self, call_id: &'a str, write: Write) -> StoreFuture<'a, Saved>;

    /// A call and its transcript lines, oldest first (GetCall).
    fn record<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, Option<(Stored, Vec<String>)>>;

    /// Takes up to `limit` calls whose check time has come; each is handed
    /// to exactly one caller across all replicas (and again later if that
    /// caller never files the call's next time).
    fn claim_due(&self, now_ms: u64, limit: usize) -> StoreFuture<'_, Vec<String>>;

    /// Asks for a call to be checked at `at_ms` (again).
    fn check_at<'a>(&'a self, call_id: &'a str, at_ms: u64) -> StoreFuture<'a, ()>;

    /// Takes or renews the lease on a call's timers for `owner`; refused
    /// when another owner holds it, unless `take` (a front-end resuming
    /// the call here knows the old owner lost it); never taken on a call
    /// the store does not have (it lost its data).
    fn lease<'a>(
        &'a self,
        call_id: &'a str,
        owner: &'a str,
        ttl: Duration,
        take: bool,
    ) -> StoreFuture<'a, Lease>;

    /// Takes a call out of the due index (the store no longer has it).
    fn forget_due<'a>(&'a self, call_id: &'a str) -> StoreFuture<'a, ()>;

    /// Gives the lease up, if `owner` holds it.
    fn release<'a>(&'a self, call_id: &'a str, owner: &'a str) -> StoreFuture<'a, ()>;

    /// Makes a flow version's source available to every replica.
    fn publish_flow<'a>(
        &'a self,
        flow: &'a str,
        version: &'a str,
        source: &'a str,
    ) -> StoreFuture<'a, ()>;

    /// A flow version's source, as some replica published it.
    fn flow_source<'a>(
        &'a self,
        flow: &'a str,
        version: &'a str,
    ) -> StoreFuture<'a, Option<String>>;

    /// Whether the store answers.
    fn ping(&self) -> StoreFuture<'_, ()>;
}

/// What asking for a call's lease found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// `owner` holds it now.
    Held,
    /// Another replica holds it.
    Elsewhere,
    /// The store has no such call: it lost it (restarted empty, flushed)
    /// or the call's keys expired.
    Gone,
}
