//! The live-call table, sharded so concurrent calls rarely share a lock.

use std::{
    collections::HashMap,
    hash::{BuildHasher, BuildHasherDefault, DefaultHasher},
    sync::{Arc, Mutex, MutexGuard},
};

use super::session::Call;

const SHARDS: usize = 64;

type Shard = HashMap<Arc<str>, Arc<Call>>;

pub struct Table {
    shards: Box<[Mutex<Shard>]>,
    hasher: BuildHasherDefault<DefaultHasher>,
}

impl Table {
    pub fn new() -> Self {
        Table {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: BuildHasherDefault::default(),
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
