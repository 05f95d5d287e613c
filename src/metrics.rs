//! Prometheus metrics: every metric name, and the functions that record
//! them, in one place.
//!
//! Off by default. With `metrics_listen` set, [`install`] installs the
//! recorder and [`serve`] answers `GET /metrics` on that address in the
//! Prometheus text format. Until then every recording function here is a
//! no-op (the `metrics` facade's default recorder), so the engine calls
//! them unconditionally: each hook is one line.
//!
//! Names follow Prometheus conventions: a `callscript_` prefix, `_total`
//! for counters, base units (`_seconds`). Labels have few values: flow ids,
//! end reasons, event kinds, machine states, gRPC methods and codes. No
//! label ever carries a caller's number or words (N16).

use std::{
    collections::{HashMap, HashSet},
    convert::Infallible,
    future::Future,
    sync::{Arc, Mutex, OnceLock},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use metrics::{Counter, Histogram, counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tracing::{debug, warn};

// === names ===

/// Gauge: calls live now (set at each scrape).
pub const LIVE_CALLS: &str = "callscript_live_calls";
/// Counter {flow}: calls started.
pub const CALLS_STARTED: &str = "callscript_calls_started_total";
/// Counter {flow, reason}: calls ended, by end reason (silence, caller_hangup…).
pub const CALLS_ENDED: &str = "callscript_calls_ended_total";
/// Counter {kind}: events fed to calls (speech, dtmf, no_input…).
pub const EVENTS: &str = "callscript_events_total";
/// Counter {state}: turns the service produced, by the call's state after it.
pub const TURNS: &str = "callscript_turns_total";
/// Counter {method, code}: gRPC requests answered.
pub const RPC_REQUESTS: &str = "callscript_rpc_requests_total";
/// Histogram {method}: time to the response's headers.
pub const RPC_DURATION: &str = "callscript_rpc_duration_seconds";
/// Histogram: how late a call's timer fired after its deadline.
pub const TIMER_LATENESS: &str = "callscript_timer_lateness_seconds";
/// Counter {result}: flow reloads, `ok` or `rejected` (a file had errors;
/// its previous version keeps serving).
pub const FLOW_RELOADS: &str = "callscript_flow_reloads_total";
/// Gauge {flow, version}: 1 for each flow version that new calls get.
pub const FLOW_INFO: &str = "callscript_flow_info";
/// Counter {limit}: requests turned away by a limit.
pub const REQUESTS_REFUSED: &str = "callscript_requests_refused_total";
/// Histogram {flow}: a call's quality score (N18), 0-100.
pub const CALL_QUALITY: &str = "callscript_call_quality_score";

/// Timer lateness: tens of microseconds when healthy, up to a second when
/// the timer task is starved.
const LATENESS_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];
/// An RPC: tens of microseconds for an event, up to seconds for a stalled one.
const RPC_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];
const QUALITY_BUCKETS: &[f64] = &[50.0, 60.0, 70.0, 80.0, 85.0, 90.0, 94.0, 97.0, 100.0];

// === recording (called from the engine, the registry and the server) ===

/// A call started on `flow`.
pub fn call_started(flow: &str) {
    counter!(CALLS_STARTED, "flow" => flow.to_owned()).increment(1);
}

/// A call ended, for `reason` ("unknown" when it has none).
pub fn call_ended(flow: &str, reason: &'static str) {
    counter!(CALLS_ENDED, "flow" => flow.to_owned(), "reason" => reason).increment(1);
}

/// An event reached a call (from the front-end or the service's own timers).
pub fn event(kind: Label) {
    match HANDLES.get() {
        Some(h) => h.events[kind.index].increment(1),
        // Metrics off: building the key by name would cost every event
        // hundreds of instructions for the no-op recorder. Unit tests record
        // through a local recorder, without the handles.
        None if cfg!(test) => counter!(EVENTS, "kind" => kind.name).increment(1),
        None => {}
    }
}

/// A turn left the service; `quiet` turns (nothing new to do) are not counted.
pub fn turn(state: Label, quiet: bool) {
    if quiet {
        return;
    }
    match HANDLES.get() {
        Some(h) => h.turns[state.index].increment(1),
        None if cfg!(test) => counter!(TURNS, "state" => state.name).increment(1),
        None => {}
    }
}

/// A call's timer fired `late` after its deadline.
pub fn timer_fired(late: Duration) {
    match HANDLES.get() {
        Some(h) => h.timer_lateness.record(late.as_secs_f64()),
        None if cfg!(test) => histogram!(TIMER_LATENESS).record(late.as_secs_f64()),
        None => {}
    }
}

// === handles ===

/// The per-event metrics' handles, registered once when the recorder is
/// installed: looking a metric up by name and labels on every event cost
/// about 6,000 instructions per SendEvent (callgrind, BENCHMARKS.md);
/// a handle is an atomic add. Until then (and under a test's local
/// recorder) the recording functions look the metric up each time.
static HANDLES: OnceLock<Handles> = OnceLock::new();

struct Handles {
    /// Indexed like [`LabelSets::event_kinds`].
    events: Vec<Counter>,
    /// Indexed like [`LabelSets::turn_states`].
    turns: Vec<Counter>,
    timer_lateness: Histogram,
    /// By request path: the RPC duration and the counters by code.
    methods: std::sync::RwLock<HashMap<String, Arc<MethodHandles>>>,
}

struct MethodHandles {
    label: metrics::SharedString,
    duration: Histogram,
    /// Registered on first use, so only codes seen are exposed.
    by_code: [OnceLock<Counter>; 17],
}

/// At most this many request paths get cached handles.
const MAX_METHODS: usize = 64;

impl Handles {
    fn register(labels: &LabelSets) -> Handles {
        Handles {
            events: labels
                .event_kinds
                .iter()
                .map(|k| counter!(EVENTS, "kind" => *k))
                .collect(),
            turns: labels
                .turn_states
                .iter()
                .map(|s| counter!(TURNS, "state" => *s))
                .collect(),
            timer_lateness: histogram!(TIMER_LATENESS),
            methods: std::sync::RwLock::new(HashMap::new()),
        }
    }

    /// The handles of a request path, registered on first use.
    fn method(&self, path: &str) -> Option<Arc<MethodHandles>> {
        let read = self.methods.read().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = read.get(path) {
            return Some(m.clone());
        }
        drop(read);
        let mut write = self.methods.write().unwrap_or_else(|e| e.into_inner());
        if write.len() >= MAX_METHODS {
            return None;
        }
        let label: metrics::SharedString = Arc::<str>::from(method_label(path)).into();
        let handles = Arc::new(MethodHandles {
            duration: histogram!(RPC_DURATION, "method" => label.clone()),
            label,
            by_code: Default::default(),
        });
        write.insert(path.to_owned(), handles.clone());
        Some(handles)
    }
}

/// Which RPC a request is, for its metrics.
enum Rpc {
    /// With its handles (the common case once metrics are installed).
    Cached(Arc<MethodHandles>),
    /// By label, looked up when done.
    Named(String),
}

impl Rpc {
    fn of(path: &str) -> Rpc {
        match HANDLES.get().and_then(|h| h.method(path)) {
            Some(m) => Rpc::Cached(m),
            None => Rpc::Named(method_label(path)),
        }
    }
}

/// Records one answered RPC.
fn rpc_done(rpc: Rpc, code: i32, took: Duration) {
    let code = if (0..17).contains(&code) { code } else { 2 };
    match rpc {
        Rpc::Cached(m) => {
            m.duration.record(took.as_secs_f64());
            m.by_code[code as usize]
                .get_or_init(|| {
                    counter!(RPC_REQUESTS, "method" => m.label.clone(), "code" => code_name(code))
                })
                .increment(1);
        }
        Rpc::Named(method) => {
            histogram!(RPC_DURATION, "method" => method.clone()).record(took.as_secs_f64());
            counter!(RPC_REQUESTS, "method" => method, "code" => code_name(code)).increment(1);
        }
    }
}

/// A flow reload finished; `rejected` when a file had errors.
pub fn flow_reload(rejected: bool) {
    let result = if rejected { "rejected" } else { "ok" };
    counter!(FLOW_RELOADS, "result" => result).increment(1);
}

/// The flow versions new calls get now: `callscript_flow_info` is 1 for
/// each, and 0 for versions that served before.
pub fn serving_flows<'a>(flows: impl IntoIterator<Item = (&'a str, &'a str)>) {
    static SHOWN: Mutex<Option<HashSet<(String, String)>>> = Mutex::new(None);
    let now: HashSet<(String, String)> = flows
        .into_iter()
        .map(|(f, v)| (f.to_owned(), v.to_owned()))
        .collect();
    let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
    let before = shown.take().unwrap_or_default();
    for (flow, version) in before.difference(&now) {
        gauge!(FLOW_INFO, "flow" => flow.clone(), "version" => version.clone()).set(0.0);
    }
    for (flow, version) in &now {
        gauge!(FLOW_INFO, "flow" => flow.clone(), "version" => version.clone()).set(1.0);
    }
    *shown = Some(now);
}

/// A request was turned away by `limit` (e.g. "max_live_calls").
pub fn request_refused(limit: &'static str) {
    counter!(REQUESTS_REFUSED, "limit" => limit).increment(1);
}

/// A call's quality score (N18), when calls are scored.
pub fn call_quality(flow: &str, score: f64) {
    histogram!(CALL_QUALITY, "flow" => flow.to_owned()).record(score);
}

/// One value of a label whose values are all known up front (an event
/// kind, a call state): `index` finds its pre-registered handle on the hot
/// path, `name` is the value. The metrics know no call types: the layers
/// above name their own values (`call::EventKind`).
#[derive(Debug, Clone, Copy)]
pub struct Label {
    pub index: usize,
    pub name: &'static str,
}

/// The closed label sets registered when the recorder is installed, so a
/// scrape shows every series from zero; a [`Label`]'s index is its place
/// here.
#[derive(Debug, Clone, Default)]
pub struct LabelSets {
    pub event_kinds: Vec<&'static str>,
    pub turn_states: Vec<&'static str>,
}

// === the recorder and the endpoint ===

/// Installs the Prometheus recorder (once per process; later calls get the
/// same handle) and starts its upkeep task.
pub fn install(
    labels: &LabelSets,
) -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(TIMER_LATENESS.into()), LATENESS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(RPC_DURATION.into()), RPC_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(CALL_QUALITY.into()), QUALITY_BUCKETS)?
        .install_recorder()?;
    describe();
    let _ = HANDLES.set(Handles::register(labels));
    let handle = HANDLE.get_or_init(|| handle).clone();
    // Histograms collect samples until upkeep folds them into buckets:
    // without scrapes they would grow without limit.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(LIVE_CALLS, "Calls live now.");
    describe_counter!(CALLS_STARTED, "Calls started, by flow.");
    describe_counter!(CALLS_ENDED, "Calls ended, by flow and end reason.");
    describe_counter!(EVENTS, "Events fed to calls, by kind.");
    describe_counter!(TURNS, "Turns produced, by the call's state after the turn.");
    describe_counter!(
        RPC_REQUESTS,
        "gRPC requests answered, by method and status code."
    );
    describe_histogram!(
        RPC_DURATION,
        Unit::Seconds,
        "Time from a gRPC request to its response headers, by method."
    );
    describe_histogram!(
        TIMER_LATENESS,
        Unit::Seconds,
        "How late call timers fired after their deadline."
    );
    describe_counter!(FLOW_RELOADS, "Flow reloads, by result (ok, rejected).");
    describe_gauge!(FLOW_INFO, "1 for each flow version new calls get.");
    describe_counter!(REQUESTS_REFUSED, "Requests turned away, by limit.");
    describe_histogram!(CALL_QUALITY, "Call quality scores (N18), by flow.");
}

/// Answers `GET /metrics` on `listener` until `shutdown` completes.
/// `refresh` runs before each scrape (to set gauges read from live state).
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    refresh: Arc<dyn Fn() + Send + Sync>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    warn!(error = %e, "metrics endpoint: accept failed");
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let handle = handle.clone();
        let refresh = refresh.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let response = respond(&req, &handle, &*refresh);
                async move { Ok::<_, Infallible>(response) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                debug!(%peer, error = %e, "metrics connection ended");
            }
        });
    }
}

fn respond<B>(
    req: &Request<B>,
    handle: &PrometheusHandle,
    refresh: &(dyn Fn() + Send + Sync),
) -> Response<Full<Bytes>> {
    let reply = |status, text: String| {
        let mut r = Response::new(Full::new(Bytes::from(text)));
        *r.status_mut() = status;
        r
    };
    if req.uri().path() != "/metrics" {
        return reply(StatusCode::NOT_FOUND, "metrics are at /metrics\n".into());
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n".into());
    }
    refresh();
    let mut r = reply(StatusCode::OK, handle.render());
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// Sets the live-calls gauge (before a scrape).
pub fn live_calls(n: usize) {
    gauge!(LIVE_CALLS).set(n as f64);
}

// === the RPC layer ===

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
        let rpc = Rpc::of(req.uri().path());
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
            rpc_done(rpc, code, started.elapsed());
            result
        })
    }
}

/// `/callscript.v1.Calls/SendEvent` → `callscript.v1.Calls/SendEvent`; a
/// path outside the services callscript serves is `other`, so a client
/// cannot create label values at will.
fn method_label(path: &str) -> String {
    let path = path.trim_start_matches('/');
    let known = ["callscript.", "grpc.health.", "grpc.reflection."];
    if path.len() <= 80
        && known.iter().any(|p| path.starts_with(p))
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_'))
    {
        path.to_owned()
    } else {
        "other".to_owned()
    }
}

/// A gRPC status code's canonical name.
fn code_name(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        call::EndReason,
        engine::{Engine, EngineSettings, StartCall},
        flow::FlowRegistry,
    };

    /// A silent streamed call on the paused clock, its metrics recorded by
    /// a recorder local to this thread: the server's timers fire the N5
    /// prompts, and their lateness is measured.
    #[test]
    fn a_silent_streamed_call_records_its_timers_turns_and_end() {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(TIMER_LATENESS.into()), LATENESS_BUCKETS)
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/flows");
                let flows = Arc::new(FlowRegistry::load_dir(dir, None).expect("shipped flows"));
                let engine = Engine::new(flows, EngineSettings::default());
                let (tx, mut turns) = tokio::sync::mpsc::unbounded_channel();
                let start = StartCall {
                    call_id: "m".into(),
                    ..StartCall::default()
                };
                engine
                    .start(start, Some(Box::new(tx)))
                    .await
                    .expect("the call starts");
                let mut last = None;
                while let Some(turn) = turns.recv().await {
                    last = turn.turn.ended;
                }
                assert_eq!(last, Some(EndReason::Silence));
            });
        });
        let text = handle.render();
        for line in [
            "callscript_calls_started_total{flow=\"hotline\"} 1",
            "callscript_calls_ended_total{flow=\"hotline\",reason=\"silence\"} 1",
            "callscript_events_total{kind=\"no_input\"} 3",
            "callscript_turns_total{state=\"listening\"} 3",
            "callscript_turns_total{state=\"ended\"} 1",
            "callscript_timer_lateness_seconds_count 3",
            // On the paused clock a timer fires exactly at its deadline.
            "callscript_timer_lateness_seconds_bucket{le=\"0.0001\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn method_labels_are_bounded() {
        assert_eq!(
            method_label("/callscript.v1.Calls/SendEvent"),
            "callscript.v1.Calls/SendEvent"
        );
        assert_eq!(method_label("/evil/\u{1F600}"), "other");
        assert_eq!(
            method_label(&format!("/callscript.{}", "a".repeat(100))),
            "other"
        );
    }
}
