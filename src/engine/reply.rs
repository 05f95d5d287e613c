//! What an engine operation returns: an answer already worked out, or the
//! shared store's round trips still to run.
//!
//! With calls in memory every operation finishes under the call's lock
//! before it returns, so its answer is a plain value: awaiting it is one
//! poll, and nothing is boxed or moved but the answer itself
//! (BENCHMARKS.md section 1, where a kilobyte future on SendEvent cost
//! more than the handler). Only calls kept in a shared store box a future.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use super::CallError;

/// The answer to an engine operation; await it, or take it at once with
/// [`Reply::now`] where the engine keeps its calls in memory.
pub enum Reply<'a, T> {
    /// Answered already (calls in memory). `None` once polled to the end.
    Ready(Option<Result<T, CallError>>),
    /// To be answered once the shared store has been read or written.
    Stored(Pin<Box<dyn Future<Output = Result<T, CallError>> + Send + 'a>>),
}

impl<'a, T> Reply<'a, T> {
    pub(super) fn ready(answer: Result<T, CallError>) -> Self {
        Reply::Ready(Some(answer))
    }

    /// Boxed: the store's round trips make a future of kilobytes, which
    /// the memory path must not carry.
    pub(super) fn stored(future: impl Future<Output = Result<T, CallError>> + Send + 'a) -> Self {
        Reply::Stored(Box::pin(future))
    }

    /// The answer, if it is already there: always with calls in memory,
    /// never with a shared store (await those).
    pub fn now(self) -> Option<Result<T, CallError>> {
        match self {
            Reply::Ready(answer) => answer,
            Reply::Stored(_) => None,
        }
    }
}

impl<T: Unpin> Future for Reply<'_, T> {
    type Output = Result<T, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Reply::Ready(answer) => Poll::Ready(
                answer
                    .take()
                    .expect("a finished Reply is not polled again (the Future contract)"),
            ),
            Reply::Stored(future) => future.as_mut().poll(cx),
        }
    }
}
