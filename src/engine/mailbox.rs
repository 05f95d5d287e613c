//! Where a streamed call's pushed turns wait for their reader.
//!
//! A bounded single-reader queue, lighter than tokio's unbounded channel
//! (which allocates a block of 32 slots and its own bookkeeping per
//! channel): one small allocation holding a `VecDeque` that stays empty
//! most of the time, and the reader's waker. Bounded, so a reader that
//! stops reading costs a fixed backlog, not memory without end: once it is
//! full the engine ends the call as `FrontEndLost` (the final turn may
//! pass the bound by one, so the reader learns why the call ended).
//!
//! Items are generic so the gRPC edge can put its own error status in the
//! same queue as the turns (one stream of `Result<Turn, Status>`).

use std::{
    collections::VecDeque,
    pin::Pin,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker},
};

use futures_util::Stream;

/// Why a push was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The backlog is at its bound: the reader is not keeping up.
    Full,
    /// The reader has gone.
    Gone,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    capacity: usize,
    senders: AtomicUsize,
}

struct State<T> {
    queue: VecDeque<T>,
    waker: Option<Waker>,
    /// No more items will come (the writer closed or dropped).
    closed: bool,
    /// The reader dropped its end.
    reader_gone: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Plain data; a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A bounded queue of at most `capacity` waiting items (at least 1).
pub fn mailbox<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            waker: None,
            closed: false,
            reader_gone: false,
        }),
        capacity: capacity.max(1),
        senders: AtomicUsize::new(1),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

/// The writing end. Cloning shares it; the queue closes when `close` is
/// called or the last writer is dropped.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Queues an item, refused when the reader is gone or `capacity` items
    /// wait. A `last` item may pass the bound by one and closes the queue.
    pub fn push(&self, item: T, last: bool) -> Result<(), PushError> {
        let mut s = self.shared.lock();
        if s.reader_gone || s.closed {
            return Err(PushError::Gone);
        }
        if !last && s.queue.len() >= self.shared.capacity {
            return Err(PushError::Full);
        }
        s.queue.push_back(item);
        s.closed |= last;
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// No more items: the reader ends once it has read what waits.
    pub fn close(&self) {
        let mut s = self.shared.lock();
        s.closed = true;
        let waker = s.waker.take();
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Items waiting to be read.
    pub fn backlog(&self) -> usize {
        self.shared.lock().queue.len()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.close();
        }
    }
}

/// The reading end, a `Stream` that ends once the queue is closed and empty.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// The next item if one waits (tests, benchmarks).
    pub fn try_recv(&mut self) -> Option<T> {
        self.shared.lock().queue.pop_front()
    }

    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut s = self.shared.lock();
        if let Some(item) = s.queue.pop_front() {
            return Poll::Ready(Some(item));
        }
        if s.closed {
            return Poll::Ready(None);
        }
        if !s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            s.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.reader_gone = true;
        // Turns nobody will read are freed now, not when the call ends.
        s.queue = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_then_one_last_item_then_closed() {
        let (tx, mut rx) = mailbox::<u32>(2);
        assert_eq!(tx.push(1, false), Ok(()));
        assert_eq!(tx.push(2, false), Ok(()));
        assert_eq!(tx.push(3, false), Err(PushError::Full));
        assert_eq!(tx.push(4, true), Ok(()), "the last item passes the bound");
        assert_eq!(tx.push(5, false), Err(PushError::Gone), "closed after it");
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(4));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_gone_reader_refuses_pushes_and_dropped_writers_close() {
        let (tx, rx) = mailbox::<u32>(4);
        drop(rx);
        assert_eq!(tx.push(1, false), Err(PushError::Gone));

        let (tx, mut rx) = mailbox::<u32>(4);
        let tx2 = tx.clone();
        tx.push(7, false).expect("room");
        drop(tx);
        tx2.push(8, false).expect("still one writer");
        drop(tx2);
        assert_eq!(rx.recv().await, Some(7));
        assert_eq!(rx.recv().await, Some(8));
        assert_eq!(rx.recv().await, None);
    }
}
