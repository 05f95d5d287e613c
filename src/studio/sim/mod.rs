//! Simulated calls: the engine `callscript simulate` runs, one per
//! simulation, each on a virtual clock of its own.
//!
//! Why a thread each: the virtual clock is tokio's paused clock, which
//! belongs to a runtime, and it must stand still between requests (a
//! designer reading a turn must not see the silence timer run out under
//! them). Each simulation owns a current-thread runtime
//! (`simulate::simulated_runtime`) on its own thread and drives it only
//! while it handles a request, so time moves only when a request says so:
//! the caller's reply time, `advance_ms`, or `silence` (to the next timer).
//! The bound on simulations (count and idle time) bounds the threads.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use tokio::sync::oneshot;

use super::error::ApiError;

mod call;
mod export;
mod input;
pub mod routes;
mod view;

pub use call::Setup;
use call::{Command, Reply};

/// The simulations in progress.
pub struct Sims {
    max: usize,
    idle: Duration,
    by_id: Mutex<HashMap<String, Arc<Handle>>>,
}

/// One simulation, as the routes reach it: its thread's mailbox.
struct Handle {
    tx: mpsc::Sender<Command>,
    last_used: Mutex<Instant>,
}

impl Sims {
    pub fn new(max: usize, idle: Duration) -> Sims {
        Sims {
            max,
            idle,
            by_id: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Handle>>> {
        // A map of handles; a panic elsewhere leaves it whole.
        self.by_id.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops the simulations idle longer than allowed: their threads end
    /// when their mailbox closes.
    pub fn expire(&self) {
        let idle = self.idle;
        self.lock().retain(|_, h| {
            h.last_used
                .lock()
                .map(|t| t.elapsed() < idle)
                .unwrap_or(false)
        });
    }

    /// Starts a simulated call; answers its first view (the opening).
    pub async fn start(&self, setup: Setup) -> Result<serde_json::Value, ApiError> {
        self.expire();
        if self.lock().len() >= self.max {
            return Err(ApiError::too_many(format!(
                "{} simulations are open, the most the studio keeps; delete one (DELETE /api/sim/ID) or wait for one to go idle",
                self.max
            )));
        }
        let id = new_id();
        let (tx, rx) = mpsc::channel();
        let (started_tx, started) = oneshot::channel();
        let thread_id = id.clone();
        std::thread::Builder::new()
            .name(format!("studio-sim-{id}"))
            .spawn(move || call::run(thread_id, setup, rx, started_tx))
            .map_err(|e| ApiError::internal(format!("cannot start a simulation: {e}")))?;
        let view = started
            .await
            .map_err(|_| ApiError::internal("the simulation stopped before its call started"))??;
        let handle = Arc::new(Handle {
            tx,
            last_used: Mutex::new(Instant::now()),
        });
        let mut sims = self.lock();
        if sims.len() >= self.max {
            return Err(ApiError::too_many(format!(
                "{} simulations are open, the most the studio keeps",
                self.max
            )));
        }
        sims.insert(id, handle);
        Ok(view)
    }

    /// Hands `command` to simulation `id` and waits for its answer.
    pub async fn ask<T>(
        &self,
        id: &str,
        command: impl FnOnce(Reply<T>) -> Command,
    ) -> Result<T, ApiError> {
        self.expire();
        let handle = self.lock().get(id).cloned().ok_or_else(|| {
            ApiError::not_found(format!("no simulation {id:?} (ended, or idle too long)"))
        })?;
        if let Ok(mut t) = handle.last_used.lock() {
            *t = Instant::now();
        }
        let (reply, answer) = oneshot::channel();
        handle
            .tx
            .send(command(reply))
            .map_err(|_| ApiError::not_found(format!("simulation {id:?} has stopped")))?;
        answer
            .await
            .map_err(|_| ApiError::internal(format!("simulation {id:?} stopped while answering")))?
    }

    /// Forgets simulation `id`; its thread ends.
    pub fn remove(&self, id: &str) -> bool {
        self.lock().remove(id).is_some()
    }
}

/// The input a request body says, or why it is refused (unit tests).
#[cfg(test)]
pub fn input_for_tests(json: &str) -> Result<input::Input, ApiError> {
    serde_json::from_str::<input::EventRequest>(json)
        .map_err(|e| ApiError::bad_request(e.to_string()))?
        .input()
}

/// An id no one guesses: simulations are a designer's own.
fn new_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the time still makes ids unique in a process.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = nanos.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("s-{hex}")
}
