//! Accepting connections: at most `max_connections` at once, and a
//! deadline for a peer to finish the HTTP/2 preface (or TLS handshake), so
//! idle sockets cannot fill the descriptor table and lock others out. A
//! WARN says when either turns someone away.
//!
//! A connection that finished its preface must start a request within the
//! same deadline (a peer that connects and says nothing holds a descriptor
//! for nothing).
//!
//! Each connection's state (requests in flight, live calls it started) is
//! tracked, so the SIGTERM drain can close every connection with no live
//! call on it at once, and the others as soon as their calls end
//! (`Tracker::close_quiet`). Closing is safe for a unary front-end whose
//! calls were started elsewhere: the listener keeps accepting during the
//! drain, so it reconnects and its calls go on.

use std::{
    collections::HashMap,
    io,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker},
    time::Duration,
};

use futures_util::Stream;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, Sleep},
};
use tonic::transport::server::{Connected, TcpConnectInfo};
use tracing::warn;

/// Connection-level settings (see `config`).
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Open connections at most; more are closed at once, with a WARN.
    pub max_connections: usize,
    /// HTTP/2 streams (calls, requests) open at once on one connection.
    pub max_concurrent_streams: u32,
    /// How often an HTTP/2 PING checks a quiet connection's peer…
    pub keepalive_interval: Duration,
    /// …and how long its answer may take before the connection is closed.
    pub keepalive_timeout: Duration,
    /// How long a new connection has to send the HTTP/2 preface (and, with
    /// TLS, to finish the handshake) and start its first request, and a
    /// unary request to arrive whole
    /// (`grpc::gate`).
    pub handshake_timeout: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            max_connections: 10_000,
            max_concurrent_streams: 16_384,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// The HTTP/2 connection preface a client sends first (RFC 9113 §3.4).
const PREFACE_LEN: usize = 24;

/// What the drain needs to know of one connection; the request gate keeps
/// it up to date (`grpc::gate`).
#[derive(Default)]
pub struct ConnState {
    in_flight: AtomicUsize,
    /// Calls started on this connection that are still live (unary ones
    /// included: their front-end comes back on this connection).
    live_calls: AtomicUsize,
    /// Whether any request has started (the first-request deadline).
    spoke: AtomicBool,
    closing: AtomicBool,
    reader: Mutex<Option<Waker>>,
}

impl ConnState {
    /// A request started on this connection; the guard ends it.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if !self.spoke.load(Ordering::Relaxed) {
            self.spoke.store(true, Ordering::Relaxed);
        }
        InFlight(self.clone())
    }

    /// A call started on this connection; it counts until the guard drops
    /// (the engine drops it when the call ends).
    pub fn hold_call(self: &Arc<Self>) -> CallHold {
        self.live_calls.fetch_add(1, Ordering::AcqRel);
        CallHold(self.clone())
    }

    fn quiet(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0 && self.live_calls.load(Ordering::Acquire) == 0
    }

    fn should_close(&self) -> bool {
        self.closing.load(Ordering::Acquire) && self.quiet()
    }

    /// Wakes the reader of a closing connection that just went quiet.
    fn went_quiet(&self) {
        if self.closing.load(Ordering::Acquire) && self.quiet() {
            self.wake();
        }
    }

    fn wake(&self) {
        if let Some(w) = self.reader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            w.wake();
        }
    }
}

/// A request in flight on a connection (its response body holds it).
pub struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.went_quiet();
        }
    }
}

/// A live call started on a connection.
pub struct CallHold(Arc<ConnState>);

impl Drop for CallHold {
    fn drop(&mut self) {
        if self.0.live_calls.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.went_quiet();
        }
    }
}

/// What a request knows of its connection (request extensions).
#[derive(Clone)]
pub struct ConnInfo {
    pub tcp: TcpConnectInfo,
    pub state: Arc<ConnState>,
}

/// Every open connection, for the drain.
#[derive(Default)]
pub struct Tracker {
    conns: Mutex<HashMap<u64, Arc<ConnState>>>,
    next: AtomicU64,
}

impl Tracker {
    /// Marks every open connection to close once nothing is in flight on
    /// it and no call it started is live: at once for health checkers,
    /// operators, idle peers and front-ends whose calls have ended; the
    /// others when their last call ends. Returns how many close at once.
    pub fn close_quiet(&self) -> usize {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let mut n = 0;
        for state in conns.values() {
            state.closing.store(true, Ordering::Release);
            if state.quiet() {
                state.wake();
                n += 1;
            }
        }
        n
    }

    fn add(self: &Arc<Self>) -> (u64, Arc<ConnState>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState::default());
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, state.clone());
        (id, state)
    }
}

/// An accepted connection, holding its place under `max_connections`.
pub struct Conn {
    io: TcpStream,
    _permit: OwnedSemaphorePermit,
    /// Until the first `PREFACE_LEN` bytes have arrived and a request has
    /// started.
    handshake: Option<Pin<Box<Sleep>>>,
    received: usize,
    id: u64,
    state: Arc<ConnState>,
    tracker: Arc<Tracker>,
    /// Closing: the connection's task has had one round to write what it
    /// still holds (see `poll_read`)…
    close_armed: bool,
    /// …and wrote something in it, so it gets another…
    wrote: bool,
    /// …which the socket's write readiness starts when it was full (the
    /// task does not spin on a peer that does not read).
    write_blocked: bool,
}

impl Conn {
    /// While closing, a write gives the task another round to finish
    /// writing before end of stream.
    fn wrote(&mut self, cx: &Context<'_>, blocked: bool) {
        self.wrote = true;
        self.write_blocked = blocked;
        if self.close_armed && !blocked {
            cx.waker().wake_by_ref();
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.tracker
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // The drain closes a connection with nothing on it: end of stream.
        // Not at once: h2 writes a finished response's last frames only
        // when reading has nothing for it, and drops what is unwritten at
        // end of stream. So reading pauses for a round (the task wakes
        // itself) until a round passes without writes.
        if this.state.should_close() {
            if this.close_armed && !this.wrote {
                return Poll::Ready(Ok(()));
            }
            this.close_armed = true;
            this.wrote = false;
            if !this.write_blocked {
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        }
        {
            let mut reader = this.state.reader.lock().unwrap_or_else(|e| e.into_inner());
            if !reader.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *reader = Some(cx.waker().clone());
            }
        }
        if this.handshake.is_some()
            && this.received >= PREFACE_LEN
            && this.state.spoke.load(Ordering::Relaxed)
        {
            this.handshake = None;
        }
        if let Some(deadline) = &mut this.handshake
            && deadline.as_mut().poll(cx).is_ready()
        {
            let what = if this.received < PREFACE_LEN {
                "the HTTP/2 preface"
            } else {
                "a first request"
            };
            // At most one a second: a flood of such peers must not flood the log.
            static WARNED: AtomicU64 = AtomicU64::new(0);
            if crate::engine::once_a_second(&WARNED) {
                let peer = this.io.peer_addr().ok();
                warn!(
                    ?peer,
                    waiting_for = what,
                    "closing connections that did not send the preface or a first request in time (handshake_timeout_ms)"
                );
            }
            this.handshake = None;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("handshake_timeout_ms passed before {what}"),
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if this.handshake.is_some() {
            this.received += buf.filled().len() - before;
        }
        polled
    }
}

use std::future::Future as _;

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.wrote(cx, polled.is_pending());
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.wrote(cx, polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

impl Connected for Conn {
    type ConnectInfo = ConnInfo;

    fn connect_info(&self) -> ConnInfo {
        ConnInfo {
            tcp: self.io.connect_info(),
            state: self.state.clone(),
        }
    }
}

struct Acceptor {
    listener: TcpListener,
    tracker: Arc<Tracker>,
    slots: Arc<Semaphore>,
    limit: usize,
    handshake_timeout: Duration,
    /// Refusals since the last WARN, which is at most one a second.
    refused: u64,
    last_warn: Option<Instant>,
}

impl Acceptor {
    async fn next(&mut self) -> Conn {
        loop {
            let (io, peer) = match self.listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was
                    // accepted: wait a little rather than spin.
                    warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Ok(permit) = self.slots.clone().try_acquire_owned() else {
                self.refused += 1;
                let now = Instant::now();
                if self
                    .last_warn
                    .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
                {
                    warn!(
                        %peer,
                        limit = self.limit,
                        refused = self.refused,
                        "connection refused: max_connections are open"
                    );
                    self.last_warn = Some(now);
                    self.refused = 0;
                }
                drop(io);
                continue;
            };
            // Without TCP_NODELAY a small turn pushed on a quiet Converse
            // stream can wait for the client's delayed ACK: 40 ms late on
            // Linux (benches/grpc.rs measured it).
            let _ = io.set_nodelay(true);
            let (id, state) = self.tracker.add();
            return Conn {
                io,
                _permit: permit,
                handshake: Some(Box::pin(tokio::time::sleep(self.handshake_timeout))),
                received: 0,
                id,
                state,
                tracker: self.tracker.clone(),
                close_armed: false,
                wrote: false,
                write_blocked: false,
            };
        }
    }
}

/// The listener's connections, as tonic's `serve_with_incoming` takes them.
pub fn incoming(
    listener: TcpListener,
    settings: &ConnectionSettings,
    tracker: Arc<Tracker>,
) -> impl Stream<Item = Result<Conn, io::Error>> + Send + 'static {
    let acceptor = Acceptor {
        listener,
        tracker,
        slots: Arc::new(Semaphore::new(settings.max_connections.max(1))),
        limit: settings.max_connections,
        handshake_timeout: settings.handshake_timeout,
        refused: 0,
        last_warn: None,
    };
    futures_util::stream::unfold(acceptor, |mut a| async move {
        let conn = a.next().await;
        Some((Ok(conn), a))
    })
}
