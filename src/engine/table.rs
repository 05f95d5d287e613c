//! The live-call table, sharded so concurrent calls rarely share a lock.

use std::{
    collections::HashMap,
    hash::BuildHasher,
    sync::{Arc, Mutex, MutexGuard},
};

/// foldhash with a random seed per table: every event hashes its call id
/// twice (the shard, then the map), and SipHash made that about 440
/// instructions of each SendEvent (callgrind). Ids are 128 random bits or
/// chosen by authenticated front-ends, and each shard is bounded by
/// `max_live_calls`, so SipHash's stronger flooding resistance buys
/// little here.
type Hasher = foldhash::fast::RandomState;

use super::session::Call;

const SHARDS: usize = 64;

type Shard = HashMap<Arc<str>, Arc<Call>, Hasher>;

pub struct Table {
    shards: Box<[Mutex<Shard>]>,
    hasher: Hasher,
}

impl Table {
    pub fn new() -> Self {
        Table {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: Hasher::default(),
        }
    }

    fn shard(&self, id: &str) -> MutexGuard<'_, Shard> {
        let ix = self.hasher.hash_one(id) as usize % SHARDS;
        // Shards hold plain maps; a poisoned one is still consistent.
        self.shards[ix].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Inserts unless the id is taken.
    pub fn insert(&self, id: Arc<str>, call: Arc<Call>) -> bool {
        let mut shard = self.shard(&id);
        if shard.contains_key(&id) {
            return false;
        }
        shard.insert(id, call);
        true
    }

    pub fn get(&self, id: &str) -> Option<Arc<Call>> {
        self.shard(id).get(id).cloned()
    }

    /// Whether it was there.
    pub fn remove(&self, id: &str) -> bool {
        self.shard(id).remove(id).is_some()
    }

    pub fn all(&self) -> Vec<Arc<Call>> {
        self.shards
            .iter()
            .flat_map(|s| {
                s.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}
