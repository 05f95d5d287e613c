//! One task holds every call's deadline.
//!
//! Deadlines are lazy: a call stores its current deadline, and the heap
//! holds at most one entry per call, at or before that deadline. Moving a
//! deadline later (the common case: every turn re-arms the silence timer)
//! costs nothing; the early entry fires, sees the later deadline and is
//! pushed again. Only an earlier deadline sends a message to this task.

use std::{
    cmp::{Ordering, Reverse},
    collections::BinaryHeap,
    sync::{Arc, Weak},
};

use tokio::{sync::mpsc, time::Instant};

use super::{Engine, Inner, session::Call};

pub struct Scheduled {
    at: Instant,
    call: Weak<Call>,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

/// Sends deadlines to the timer task.
#[derive(Clone)]
pub struct TimerHandle {
    tx: mpsc::UnboundedSender<Scheduled>,
}

impl TimerHandle {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Scheduled>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (TimerHandle { tx }, rx)
    }

    pub fn schedule(&self, call: &Arc<Call>, at: Instant) {
        // Fails only once the engine is gone, when no timer matters.
        let _ = self.tx.send(Scheduled {
            at,
            call: Arc::downgrade(call),
        });
    }
}

pub async fn run(mut rx: mpsc::UnboundedReceiver<Scheduled>, engine: Weak<Inner>) {
    let mut heap: BinaryHeap<Reverse<Scheduled>> = BinaryHeap::new();
    loop {
        let next = heap.peek().map(|Reverse(e)| e.at);
        tokio::select! {
            biased;
            entry = rx.recv() => match entry {
                Some(e) => {
                    heap.push(Reverse(e));
                    while let Ok(e) = rx.try_recv() {
                        heap.push(Reverse(e));
                    }
                }
                None => return,
            },
            () = sleep_until(next), if next.is_some() => {
                let Some(inner) = engine.upgrade() else { return };
                let engine = Engine { inner };
                let now = Instant::now();
                while heap.peek().is_some_and(|Reverse(e)| e.at <= now) {
                    let Some(Reverse(entry)) = heap.pop() else { break };
                    let Some(call) = entry.call.upgrade() else { continue };
                    if let Some(later) = engine.on_timer(&call, now) {
                        heap.push(Reverse(Scheduled { at: later, call: entry.call }));
                    }
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}
