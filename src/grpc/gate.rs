//! The gate every request passes before its handler: who is asking and
//! whether they may (`auth`), and the statuses tonic raises while reading
//! a request, restated as the client's mistake (`status::wire_error`).
//! One tower layer around all services, so no RPC can forget either.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use futures_util::future::Either;
use http_body_util::combinators::UnsyncBoxBody;
use tonic::{
    Status,
    body::Body,
    codegen::{Service, http},
    transport::server::TlsConnectInfo,
};
use tower_layer::Layer;

use crate::connections::{ConnInfo, ConnState, InFlight};

use super::{
    auth::{Access, Auth, access},
    status::wire_error,
};

/// Builds [`Gate`]s; `auth` is `None` when the service is open.
#[derive(Clone)]
pub struct GateLayer {
    auth: Option<Arc<Auth>>,
    request_deadline: Duration,
}

impl GateLayer {
    /// `request_deadline`: how long a unary request may take to arrive
    /// whole (a client that never finishes its body holds a stream and a
    /// buffer otherwise).
    pub fn new(auth: Option<Arc<Auth>>, request_deadline: Duration) -> Self {
        GateLayer {
            auth,
            request_deadline,
        }
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            auth: self.auth.clone(),
            request_deadline: self.request_deadline,
        }
    }
}

#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    auth: Option<Arc<Auth>>,
    request_deadline: Duration,
}

impl<S> Service<http::Request<Body>> for Gate<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    /// The benchmarks' bare reference handler goes straight through (no
    /// tracking), so it stays the bare tonic it is measured as.
    type Future = Either<S::Future, Gated<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        // The clone was made ready by nobody; take the ready one and leave
        // the clone (tower's documented idiom).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if req.uri().path().starts_with(REFERENCE) {
            return Either::Left(inner.call(req));
        }
        // The request is in flight on its connection until its response
        // body is done (a Converse stream: for the whole call).
        let in_flight = connection(req.extensions()).map(|c| c.begin());
        if let Some(status) = oversized_metadata(req.headers()) {
            refused(Some(req.uri().path()), &status);
            return Either::Right(Gated::Refused {
                response: Some(status.into_http()),
            });
        }
        if let Some(auth) = &self.auth
            && access(req.uri().path()) != Access::Open
        {
            let header = req
                .headers()
                .get(http::header::AUTHORIZATION)
                .map(|v| v.as_bytes());
            match auth.admit(req.uri().path(), header) {
                Ok(client) => {
                    if req.uri().path() == CONVERSE {
                        let standing = auth.standing(CONVERSE, header.unwrap_or_default());
                        req.extensions_mut().insert(standing);
                    }
                    req.extensions_mut().insert(client);
                }
                Err(status) => {
                    refused(Some(req.uri().path()), &status);
                    return Either::Right(Gated::Refused {
                        response: Some(status.into_http()),
                    });
                }
            }
        }
        // Every RPC but Converse reads one request message.
        if req.uri().path() != CONVERSE {
            let deadline = self.request_deadline;
            req = req.map(|body| boxed(ArriveWithin::new(body, deadline)));
        }
        Either::Right(Gated::Through {
            inner: inner.call(req),
            in_flight,
        })
    }
}

/// The most metadata (headers) a request may carry, counted as HTTP/2
/// does (name, value and 32 bytes each). HTTP/2 itself takes up to
/// [`H2_MAX_HEADER_LIST`], so a larger header block is refused here as a
/// status on its own stream: at h2's level it was a 431 (UNKNOWN to a
/// gRPC client) or, past 64 KiB, the end of the whole connection and of
/// every other call on it.
pub const MAX_METADATA_BYTES: usize = 16 << 10;
/// What the HTTP/2 layer accepts (`http2_max_header_list_size`).
pub const H2_MAX_HEADER_LIST: u32 = 1 << 20;

fn oversized_metadata(headers: &http::HeaderMap) -> Option<Status> {
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 32)
        .sum();
    if size <= MAX_METADATA_BYTES {
        return None;
    }
    crate::metrics::request_refused("max_metadata_bytes");
    Some(Status::resource_exhausted(format!(
        "metadata: {size} bytes of request headers is more than max_metadata_bytes ({MAX_METADATA_BYTES})"
    )))
}

/// One WARN a second at most for each kind of refusal, so an operator sees
/// a misconfigured client or an attack without the log being flooded by
/// it. The statuses name the client and its roles, never a token.
fn refused(path: Option<&str>, status: &Status) {
    let path = path.unwrap_or("-");
    use std::sync::atomic::AtomicU64;
    static UNAUTHENTICATED: AtomicU64 = AtomicU64::new(0);
    static PERMISSION_DENIED: AtomicU64 = AtomicU64::new(0);
    static OVERSIZED: AtomicU64 = AtomicU64::new(0);
    static UNREADABLE: AtomicU64 = AtomicU64::new(0);
    // tonic's `Code` is not ours: the gate refuses only with these three,
    // and restates the rest as a request that could not be read.
    let (last, kind) = match status.code() {
        tonic::Code::Unauthenticated => (&UNAUTHENTICATED, "UNAUTHENTICATED"),
        tonic::Code::PermissionDenied => (&PERMISSION_DENIED, "PERMISSION_DENIED"),
        tonic::Code::ResourceExhausted => (&OVERSIZED, "RESOURCE_EXHAUSTED"),
        _ => (&UNREADABLE, "unreadable request"),
    };
    if crate::engine::once_a_second(last) {
        tracing::warn!(
            kind,
            path,
            reason = status.message(),
            "request refused (at most one such line a second)"
        );
    } else {
        tracing::debug!(kind, path, reason = status.message(), "request refused");
    }
}

pin_project_lite::pin_project! {
    /// A request's way through the gate (a named future rather than a boxed
    /// one: every Calls request takes it).
    #[project = GatedProj]
    pub enum Gated<F> {
        /// Refused by the gate: the status, once.
        Refused { response: Option<http::Response<Body>> },
        /// Admitted: the handler's response, its body holding the
        /// request's place on the connection.
        Through {
            #[pin]
            inner: F,
            in_flight: Option<InFlight>,
        },
    }
}

impl<F, E> Future for Gated<F>
where
    F: Future<Output = Result<http::Response<Body>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project() {
            GatedProj::Refused { response } => {
                // Polled again after it answered (no caller does): the
                // same answer rather than a panic.
                let response = response.take().unwrap_or_else(|| {
                    Status::internal("gate: polled after it answered").into_http()
                });
                Poll::Ready(Ok(response))
            }
            GatedProj::Through { inner, in_flight } => {
                let mut resp = std::task::ready!(inner.poll(cx))?;
                // A trailers-only error response carries its status in headers.
                if let Some(restated) = Status::from_header_map(resp.headers())
                    .as_ref()
                    .and_then(wire_error)
                {
                    refused(None, &restated);
                    resp = restated.into_http();
                }
                Poll::Ready(Ok(match in_flight.take() {
                    Some(guard) => resp.map(|body| {
                        boxed(Tracked {
                            inner: body,
                            _in_flight: guard,
                        })
                    }),
                    None => resp,
                }))
            }
        }
    }
}

/// A body of ours as tonic's: boxed as tonic boxes it, which tonic takes
/// as it is (`Body::new` of anything else adds an error-mapping layer that
/// every frame would pass through, for errors that are statuses already).
fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes, Error = Status> + Send + 'static,
{
    Body::new(UnsyncBoxBody::new(body))
}

/// `callscript.reference.v1.Reference`, served only for the benchmarks.
const REFERENCE: &str = "/callscript.reference.v1.";
const CONVERSE: &str = "/callscript.v1.Calls/Converse";

/// A request body that must arrive whole within a deadline. The timer is
/// armed only if the body is not there at the first read (the usual unary
/// request arrives in one piece, and pays nothing).
struct ArriveWithin {
    inner: Body,
    deadline: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

impl ArriveWithin {
    fn new(inner: Body, deadline: Duration) -> Self {
        ArriveWithin {
            inner,
            deadline,
            timer: None,
            done: false,
        }
    }
}

impl http_body::Body for ArriveWithin {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        if this.done {
            return Pin::new(&mut this.inner).poll_frame(cx);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.done = true;
                this.timer = None;
                Poll::Ready(None)
            }
            Poll::Ready(frame) => Poll::Ready(frame),
            Poll::Pending => {
                let deadline = this.deadline;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.done = true;
                        Poll::Ready(Some(Err(Status::deadline_exceeded(format!(
                            "request: the request did not arrive whole within {} ms (handshake_timeout_ms)",
                            deadline.as_millis()
                        )))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The connection a request came on (plain or TLS), from its extensions.
pub fn connection(ext: &http::Extensions) -> Option<&Arc<ConnState>> {
    ext.get::<ConnInfo>()
        .or_else(|| ext.get::<TlsConnectInfo<ConnInfo>>().map(|t| t.get_ref()))
        .map(|c| &c.state)
}

/// A response body that holds its request's place on the connection.
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
