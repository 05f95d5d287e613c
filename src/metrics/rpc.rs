//! gRPC server metrics under the names every gRPC dashboard already
//! queries (go-grpc-prometheus, grpc-ecosystem): `grpc_server_handled_total`
//! and `grpc_server_handling_seconds`, labelled `grpc_service`,
//! `grpc_method` and `grpc_code`.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, OnceLock, RwLock},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use hyper::{Request, Response};
use metrics::{Counter, Histogram, SharedString, counter, histogram};

/// Counter {grpc_service, grpc_method, grpc_code}: gRPC requests answered.
pub const HANDLED: &str = "grpc_server_handled_total";
/// Histogram {grpc_service, grpc_method}: time to the response's headers.
pub const HANDLING: &str = "grpc_server_handling_seconds";

/// An RPC: tens of microseconds for an event, up to seconds for a stalled one.
pub(super) const BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];

/// The canonical names of the 17 gRPC status codes, by number.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Handles by request path: looking a metric up by name and labels costs
/// thousands of instructions per request (callgrind, BENCHMARKS.md); a
/// handle is an atomic add.
static TABLE: OnceLock<RwLock<HashMap<String, Arc<MethodHandles>>>> = OnceLock::new();

/// At most this many request paths get cached handles.
const MAX_METHODS: usize = 64;

struct MethodHandles {
    service: SharedString,
    method: SharedString,
    handling: Histogram,
    by_code: [OnceLock<Counter>; 17],
}

impl MethodHandles {
    fn new(path: &str) -> MethodHandles {
        let (service, method) = split(path);
        let service: SharedString = Arc::<str>::from(service).into();
        let method: SharedString = Arc::<str>::from(method).into();
        MethodHandles {
            handling: histogram!(HANDLING, "grpc_service" => service.clone(), "grpc_method" => method.clone()),
            service,
            method,
            by_code: Default::default(),
        }
    }

    fn handled(&self, code: usize) -> &Counter {
        self.by_code[code].get_or_init(|| {
            counter!(HANDLED, "grpc_service" => self.service.clone(), "grpc_method" => self.method.clone(), "grpc_code" => CODES[code])
        })
    }
}

/// Registers the handles of the methods the service serves, with every
/// status code at zero, so a rate or an alert over them has a series from
/// the first scrape (as go-grpc-prometheus' `InitializeMetrics` does).
pub(super) fn register(paths: &[String]) {
    let mut table = HashMap::new();
    for path in paths.iter().take(MAX_METHODS) {
        let handles = MethodHandles::new(path);
        for code in 0..CODES.len() {
            handles.handled(code).increment(0);
        }
        table.insert(path.clone(), Arc::new(handles));
    }
    let _ = TABLE.set(RwLock::new(table));
}

/// The handles of a request path, registered on first use; `None` when
/// metrics are off or the table is full.
fn handles(path: &str) -> Option<Arc<MethodHandles>> {
    let table = TABLE.get()?;
    let read = table.read().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = read.get(path) {
        return Some(m.clone());
    }
    drop(read);
    let mut write = table.write().unwrap_or_else(|e| e.into_inner());
    if write.len() >= MAX_METHODS {
        return None;
    }
    let handles = write
        .entry(path.to_owned())
        .or_insert_with(|| Arc::new(MethodHandles::new(path)));
    Some(handles.clone())
}

/// Records one answered RPC.
fn done(path: &str, handles: Option<Arc<MethodHandles>>, code: i32, took: Duration) {
    let code = usize::try_from(code)
        .ok()
        .filter(|c| *c < CODES.len())
        .unwrap_or(2);
    match handles {
        Some(m) => {
            m.handling.record(took.as_secs_f64());
            m.handled(code).increment(1);
        }
        None => {
            let (service, method) = split(path);
            histogram!(HANDLING, "grpc_service" => service.clone(), "grpc_method" => method.clone())
                .record(took.as_secs_f64());
            counter!(HANDLED, "grpc_service" => service, "grpc_method" => method, "grpc_code" => CODES[code])
                .increment(1);
        }
    }
}

/// `/callscript.v1.Calls/SendEvent` → (`callscript.v1.Calls`, `SendEvent`);
/// a path outside the services callscript serves is (`other`, `other`),
/// so a client cannot create label values at will.
fn split(path: &str) -> (String, String) {
    let path = path.trim_start_matches('/');
    let known = ["callscript.", "grpc.health.", "grpc.reflection."];
    let plausible = path.len() <= 80
        && known.iter().any(|p| path.starts_with(p))
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_'));
    match path.split_once('/') {
        Some((service, method)) if plausible && !method.contains('/') => {
            (service.to_owned(), method.to_owned())
        }
        _ => ("other".to_owned(), "other".to_owned()),
    }
}

/// A tower layer that counts gRPC requests by method and status code and
/// times them to their response headers. A unary error's status is in the
/// headers (a trailers-only response); a response that opens without one
/// counts as OK (a stream's later error is in its trailers only).
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcLayer;

impl<S> tower::Layer<S> for RpcLayer {
    type Service = RpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner }
    }
}

/// The service [`RpcLayer`] wraps around each gRPC service.
#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
}

impl<S, B, RB> tower::Service<Request<B>> for RpcMetrics<S>
where
    S: tower::Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let handles = handles(req.uri().path());
        // Only for the rare uncached path: the common case copies nothing.
        let path = match handles {
            Some(_) => String::new(),
            None => req.uri().path().to_owned(),
        };
        let started = Instant::now();
        let future = self.inner.call(req);
        Box::pin(async move {
            let result = future.await;
            let code = match &result {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .unwrap_or(0),
                Err(_) => 14,
            };
            done(&path, handles, code, started.elapsed());
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_labels_are_bounded() {
        assert_eq!(
            split("/callscript.v1.Calls/SendEvent"),
            ("callscript.v1.Calls".to_owned(), "SendEvent".to_owned())
        );
        let other = ("other".to_owned(), "other".to_owned());
        assert_eq!(split("/evil/\u{1F600}"), other);
        assert_eq!(split(&format!("/callscript.{}", "a".repeat(100))), other);
        assert_eq!(split("/callscript.v1.Calls/a/b"), other);
    }
}
