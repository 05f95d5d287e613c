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

mod endpoint;
mod process;
mod rpc;

pub use endpoint::{Endpoint, Readiness, serve};
pub use rpc::RpcLayer;

use std::{
    collections::HashSet,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use metrics::{Counter, Histogram, counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

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
pub use rpc::{HANDLED as GRPC_HANDLED, HANDLING as GRPC_HANDLING};
/// Histogram {flow, reason}: how long calls lasted, by end reason.
pub const CALL_DURATION: &str = "callscript_call_duration_seconds";
/// Gauge {version}: always 1; the version of the running binary.
pub const BUILD_INFO: &str = "callscript_build_info";
/// Counter: records-file writes that failed (the record is kept and
/// tried again).
pub const RECORDS_WRITE_ERRORS: &str = "callscript_records_write_errors_total";
/// Gauge: call records kept in memory because the file would not take them.
pub const RECORDS_KEPT: &str = "callscript_records_kept";
/// Counter: call records lost (the kept records' bound, or unwritten at exit).
pub const RECORDS_LOST: &str = "callscript_records_lost_total";
/// Counter: call store (Redis) operations that failed, health checks included.
pub const STORE_ERRORS: &str = "callscript_store_errors_total";
/// Histogram: how late a call's timer fired after its deadline.
pub const TIMER_LATENESS: &str = "callscript_timer_lateness_seconds";
/// Counter {result}: flow reloads, `ok` or `rejected` (a file had errors;
/// its previous version keeps serving).
pub const FLOW_RELOADS: &str = "callscript_flow_reloads_total";
/// Gauge {flow, version}: 1 for each flow version that new calls get.
pub const FLOW_INFO: &str = "callscript_flow_info";
/// Counter {limit}: requests turned away by a limit.
pub const REQUESTS_REFUSED: &str = "callscript_requests_refused_total";
/// Counter: log lines the log sink (stderr) could not take; they are lost.
pub const LOG_LINES_DROPPED: &str = "callscript_log_lines_dropped_total";
/// Counter: Converse streams ended because a reload revoked their token.
pub const STREAMS_REVOKED: &str = "callscript_streams_revoked_total";
/// Histogram {flow}: a call's quality score (N18), 0-100.
pub const CALL_QUALITY: &str = "callscript_call_quality_score";

/// Timer lateness: tens of microseconds when healthy, up to a second when
/// the timer task is starved.
const LATENESS_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];
/// A call: seconds for a caller who hangs up at once, minutes for most, up
/// to the flows' `max_call_ms` (an hour at most).
const CALL_DURATION_BUCKETS: &[f64] = &[
    5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0,
];
const QUALITY_BUCKETS: &[f64] = &[50.0, 60.0, 70.0, 80.0, 85.0, 90.0, 94.0, 97.0, 100.0];

// === recording (called from the engine, the registry and the server) ===

/// A call started on `flow`.
pub fn call_started(flow: &str) {
    counter!(CALLS_STARTED, "flow" => flow.to_owned()).increment(1);
}

/// A call ended, for `reason` ("unknown" when it has none), `lasted` after
/// it started.
pub fn call_ended(flow: &str, reason: &'static str, lasted: Duration) {
    counter!(CALLS_ENDED, "flow" => flow.to_owned(), "reason" => reason).increment(1);
    histogram!(CALL_DURATION, "flow" => flow.to_owned(), "reason" => reason)
        .record(lasted.as_secs_f64());
}

/// A record could not be written to the records file.
pub fn records_write_error() {
    counter!(RECORDS_WRITE_ERRORS).increment(1);
}

/// Call records waiting for the file to take them.
pub fn records_kept(n: usize) {
    gauge!(RECORDS_KEPT).set(n as f64);
}

/// Call records given up.
pub fn records_lost(n: u64) {
    counter!(RECORDS_LOST).increment(n);
}

/// A call store operation failed.
pub fn store_error() {
    counter!(STORE_ERRORS).increment(1);
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
}

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

/// The limits a request can be refused by, each a series from the start
/// (the settings of `grpc::Limits`, `max_live_calls`, the seq bound and
/// the metadata bound of the request gate).
pub const REFUSING_LIMITS: &[&str] = &[
    "max_live_calls",
    "max_message_bytes",
    "max_name_bytes",
    "max_number_bytes",
    "max_speech_bytes",
    "max_dtmf_digits",
    "max_detail_bytes",
    "max_variable_bytes",
    "max_seq",
    "max_metadata_bytes",
];

/// A request was turned away by `limit`, one of [`REFUSING_LIMITS`].
pub fn request_refused(limit: &'static str) {
    counter!(REQUESTS_REFUSED, "limit" => limit).increment(1);
}

/// A log line could not be written (`telemetry`).
pub fn log_line_dropped() {
    counter!(LOG_LINES_DROPPED).increment(1);
}

/// A Converse stream ended because its token was revoked.
pub fn stream_revoked() {
    counter!(STREAMS_REVOKED).increment(1);
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
    pub end_reasons: Vec<&'static str>,
    /// The flows loaded at start, for calls started and ended by flow.
    pub flows: Vec<String>,
    /// The gRPC request paths served (`/callscript.v1.Calls/StartCall`).
    pub rpc_methods: Vec<String>,
}

// === the recorder ===

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
        .set_buckets_for_metric(Matcher::Full(GRPC_HANDLING.into()), rpc::BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(CALL_DURATION.into()), CALL_DURATION_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(CALL_QUALITY.into()), QUALITY_BUCKETS)?
        .install_recorder()?;
    describe();
    let _ = HANDLES.set(Handles::register(labels));
    rpc::register(&labels.rpc_methods);
    at_zero(labels);
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

/// Series with labels known at start are shown from the first scrape, so
/// `rate()` and alerts over them work before the first increment.
fn at_zero(labels: &LabelSets) {
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    gauge!(LIVE_CALLS).set(0.0);
    counter!(RECORDS_WRITE_ERRORS).increment(0);
    counter!(STORE_ERRORS).increment(0);
    counter!(LOG_LINES_DROPPED).increment(0);
    gauge!(RECORDS_KEPT).set(0.0);
    counter!(RECORDS_LOST).increment(0);
    counter!(STREAMS_REVOKED).increment(0);
    for result in ["ok", "rejected"] {
        counter!(FLOW_RELOADS, "result" => result).increment(0);
    }
    for limit in REFUSING_LIMITS {
        counter!(REQUESTS_REFUSED, "limit" => *limit).increment(0);
    }
    // A histogram is exported empty once its handle exists.
    for flow in &labels.flows {
        counter!(CALLS_STARTED, "flow" => flow.clone()).increment(0);
        let _ = histogram!(CALL_QUALITY, "flow" => flow.clone());
        for reason in &labels.end_reasons {
            counter!(CALLS_ENDED, "flow" => flow.clone(), "reason" => *reason).increment(0);
            let _ = histogram!(CALL_DURATION, "flow" => flow.clone(), "reason" => *reason);
        }
    }
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
        GRPC_HANDLED,
        "gRPC requests answered, by service, method and status code."
    );
    describe_histogram!(
        GRPC_HANDLING,
        Unit::Seconds,
        "Time from a gRPC request to its response headers, by service and method."
    );
    describe_histogram!(
        CALL_DURATION,
        Unit::Seconds,
        "How long calls lasted, by flow and end reason."
    );
    describe_gauge!(BUILD_INFO, "1, labelled with the running version.");
    describe_counter!(
        RECORDS_WRITE_ERRORS,
        "Writes to the records file that failed (the record is kept and tried again)."
    );
    describe_counter!(STORE_ERRORS, "Call store operations that failed.");
    describe_gauge!(
        RECORDS_KEPT,
        "Call records kept in memory until the records file takes them."
    );
    describe_counter!(
        RECORDS_LOST,
        "Call records lost: past the kept records' bound, or unwritten at exit."
    );
    describe_counter!(
        STREAMS_REVOKED,
        "Converse streams ended because a reload revoked their token."
    );
    describe_counter!(
        LOG_LINES_DROPPED,
        "Log lines the log sink could not take (lost)."
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

/// Sets the live-calls gauge (before a scrape).
pub fn live_calls(n: usize) {
    gauge!(LIVE_CALLS).set(n as f64);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
                // In the hotline's hours (a Monday afternoon), whenever the
                // test runs: after hours the opening leads elsewhere.
                let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T15:00:00+08:00")
                    .expect("a valid time")
                    .to_utc();
                let start = StartCall {
                    call_id: "m".into(),
                    at: Some(at),
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
}
