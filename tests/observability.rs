//! What an operator watches, on the real binary: Prometheus metrics at
//! `/metrics` (checked by `promtool` and scraped by a real Prometheus
//! server), the call detail records file, and the log on stderr.

#[path = "common/binary.rs"]
mod binary;
#[allow(unused_imports)] // the turn readers are for other tests
mod common;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    process::{Command, Stdio},
    time::Duration,
};

use binary::ServerProcess;
use callscript::grpc::pb::{self, calls_client::CallsClient};
use common::{event, hangup, no_input, start};
use tonic::transport::Channel;

/// Stops the server with SIGTERM, off the test's runtime: the runtime must
/// keep running the client's connection task so it sees the server's
/// GOAWAY and lets the graceful shutdown finish.
async fn stop(mut server: ServerProcess) -> Option<i32> {
    tokio::task::spawn_blocking(move || server.terminate())
        .await
        .expect("terminate runs")
}

/// A weekday afternoon: the plain opening.
const AT: &str = "2026-11-23T15:00:00+08:00";

async fn client(addr: SocketAddr) -> CallsClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connect to the server");
    CallsClient::new(channel)
}

/// A silent caller, step by step as a unary front-end reports it: the
/// opening, two silence prompts, then the hang-up (N5).
async fn silent_call(calls: &mut CallsClient<Channel>, id: &str) {
    calls
        .start_call(start(id, AT))
        .await
        .expect("the call starts");
    for seq in 1..=3 {
        let turn = calls
            .send_event(event(id, seq, no_input()))
            .await
            .expect("no_input is accepted")
            .into_inner();
        assert_eq!(turn.ended, seq == 3, "{turn:?}");
    }
}

/// `GET path` over HTTP/1.0; returns the status line's code and the body.
fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the HTTP endpoint");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response has a head and a body");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    (code, body.to_owned())
}

/// The value of the sample `series` (name and labels exactly as exposed).
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

fn metrics_server() -> ServerProcess {
    ServerProcess::start(
        &[("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0")],
        Stdio::null(),
    )
}

#[tokio::test]
async fn metrics_show_a_silent_call_started_ended_and_its_turns() {
    let server = metrics_server();
    let metrics = server.metrics.expect("metrics are served");
    let mut calls = client(server.addr).await;
    silent_call(&mut calls, "m1").await;
    // A bad request counts under its status code.
    let bad = calls
        .send_event(event("", 1, no_input()))
        .await
        .expect_err("an empty call id is refused");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);

    let (code, text) = http_get(metrics, "/metrics");
    assert_eq!(code, 200, "{text}");
    let expect = [
        ("callscript_calls_started_total{flow=\"hotline\"}", 1.0),
        (
            "callscript_calls_ended_total{flow=\"hotline\",reason=\"silence\"}",
            1.0,
        ),
        ("callscript_turns_total{state=\"listening\"}", 3.0),
        ("callscript_turns_total{state=\"ended\"}", 1.0),
        ("callscript_events_total{kind=\"start\"}", 1.0),
        ("callscript_events_total{kind=\"no_input\"}", 3.0),
        ("callscript_live_calls", 0.0),
        (
            "grpc_server_handled_total{grpc_service=\"callscript.v1.Calls\",grpc_method=\"SendEvent\",grpc_code=\"OK\"}",
            3.0,
        ),
        (
            "grpc_server_handled_total{grpc_service=\"callscript.v1.Calls\",grpc_method=\"SendEvent\",grpc_code=\"INVALID_ARGUMENT\"}",
            1.0,
        ),
        (
            "grpc_server_handled_total{grpc_service=\"callscript.v1.Calls\",grpc_method=\"StartCall\",grpc_code=\"OK\"}",
            1.0,
        ),
        (
            "grpc_server_handling_seconds_count{grpc_service=\"callscript.v1.Calls\",grpc_method=\"SendEvent\"}",
            4.0,
        ),
        // Present at zero from the start: every method and code, every end
        // reason of every flow, the error counters.
        (
            "grpc_server_handled_total{grpc_service=\"callscript.v1.Flows\",grpc_method=\"ReloadFlows\",grpc_code=\"UNAUTHENTICATED\"}",
            0.0,
        ),
        (
            "callscript_calls_ended_total{flow=\"hotline\",reason=\"front_end_lost\"}",
            0.0,
        ),
        ("callscript_records_write_errors_total", 0.0),
        ("callscript_store_errors_total", 0.0),
        ("callscript_flow_reloads_total{result=\"rejected\"}", 0.0),
        (
            "callscript_call_duration_seconds_count{flow=\"hotline\",reason=\"silence\"}",
            1.0,
        ),
        (
            &*format!(
                "callscript_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            ),
            1.0,
        ),
    ];
    for (series, value) in expect {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    }
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert!(
            sample(&text, name).is_some_and(|v| v > 0.0),
            "{name} in\n{text}"
        );
    }
    // The ended call is scored on the records thread, off the call's own
    // path; the score shows once that thread has run (a few scrapes at most).
    // The test reports each silence at once, not after 5 s, so the N5
    // prompts came back to back: 100 - 10 (silent_call).
    let score_count = "callscript_call_quality_score_count{flow=\"hotline\"}";
    let text = (0..500)
        .map(|_| http_get(metrics, "/metrics").1)
        .find(|t| sample(t, score_count).is_some_and(|n| n >= 1.0))
        .unwrap_or_else(|| panic!("the silent call's quality score is recorded"));
    assert_eq!(sample(&text, score_count), Some(1.0), "{text}");
    assert_eq!(
        sample(&text, "callscript_call_quality_score_sum{flow=\"hotline\"}"),
        Some(90.0),
        "{text}"
    );
    let version = text
        .lines()
        .find(|l| l.starts_with("callscript_flow_info{flow=\"hotline\""))
        .unwrap_or_else(|| panic!("the hotline's version is shown:\n{text}"));
    assert!(version.ends_with("} 1"), "{version}");

    // A live call shows in the gauge.
    calls
        .start_call(start("m2", AT))
        .await
        .expect("the call starts");
    let (_, text) = http_get(metrics, "/metrics");
    assert_eq!(sample(&text, "callscript_live_calls"), Some(1.0), "{text}");

    let (code, _) = http_get(metrics, "/other");
    assert_eq!(code, 404);
}

/// The HTTP probes beside /metrics: alive, ready, and not ready once
/// draining (SIGTERM), while still alive.
#[tokio::test]
async fn probes_say_alive_and_ready_until_the_drain() {
    let server = ServerProcess::start(
        &[
            ("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0"),
            ("CALLSCRIPT_DRAIN_TIMEOUT_MS", "3000"),
        ],
        Stdio::null(),
    );
    let metrics = server.metrics.expect("metrics are served");
    assert_eq!(http_get(metrics, "/healthz"), (200, "ok\n".into()));
    assert_eq!(http_get(metrics, "/readyz"), (200, "ready\n".into()));
    // A live call keeps the drain going while the probes are asked.
    let mut calls = client(server.addr).await;
    calls
        .start_call(start("r1", AT))
        .await
        .expect("the call starts");
    let term = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    // The signal is handled asynchronously: ask again (each a real round
    // trip, no sleep) until the answer changes, for at most 5 s.
    let asked = std::time::Instant::now();
    let readyz = std::iter::repeat_with(|| http_get(metrics, "/readyz"))
        .take_while(|_| asked.elapsed() < Duration::from_secs(5))
        .find(|(code, _)| *code != 200)
        .expect("not ready once draining");
    assert_eq!(readyz, (503, "not ready: draining\n".into()));
    assert_eq!(http_get(metrics, "/healthz").0, 200);
    drop(calls);
    stop(server).await;
}

#[tokio::test]
async fn promtool_accepts_the_exposition() {
    let server = metrics_server();
    let mut calls = client(server.addr).await;
    silent_call(&mut calls, "p1").await;
    let (_, text) = http_get(server.metrics.expect("metrics are served"), "/metrics");
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (apt-get install prometheus; .ci/run installs it)");
    promtool
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .expect("promtool reads the exposition");
    let out = promtool.wait_with_output().expect("promtool finishes");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Prometheus server process; killed when dropped.
struct Prometheus(std::process::Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real Prometheus server scrapes the service every second; the value
/// comes back through its HTTP API. On the real clock by nature: the test
/// polls for at most 60 s.
#[tokio::test]
async fn a_prometheus_server_scrapes_the_service() {
    let server = metrics_server();
    let target = server.metrics.expect("metrics are served");
    let mut calls = client(server.addr).await;
    silent_call(&mut calls, "s1").await;

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: callscript\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("write the Prometheus config");
    // An ephemeral port for Prometheus' own web API.
    let web = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let _prometheus = Prometheus(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--web.listen-address={web}"))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus runs (apt-get install prometheus; .ci/run installs it)"),
    );
    let query = "/api/v1/query?query=callscript_calls_ended_total%7Breason%3D%22silence%22%7D";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    loop {
        if let Ok(mut stream) = TcpStream::connect(web) {
            let _ = write!(stream, "GET {query} HTTP/1.0\r\nHost: {web}\r\n\r\n");
            last.clear();
            let _ = stream.read_to_string(&mut last);
            if let Some((_, body)) = last.split_once("\r\n\r\n") {
                let reply: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
                let value = &reply["data"]["result"][0]["value"][1];
                if value == "1" {
                    assert_eq!(
                        reply["data"]["result"][0]["metric"]["flow"], "hotline",
                        "{reply}"
                    );
                    return;
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus did not report the call within 60 s; last answer:\n{last}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn records_hold_one_json_line_per_ended_call_including_on_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("calls.jsonl");
    let server = ServerProcess::start(
        &[(
            "CALLSCRIPT_RECORDS_FILE",
            file.to_str().expect("utf-8 path"),
        )],
        Stdio::null(),
    );
    let mut calls = client(server.addr).await;
    silent_call(&mut calls, "r1").await;
    // A caller who hangs up, and one still on the line when the service stops.
    let mut with_caller = start("r2", AT);
    with_caller.caller = "+8613812345678".into();
    calls
        .start_call(with_caller)
        .await
        .expect("the call starts");
    calls
        .send_event(event("r2", 1, hangup()))
        .await
        .expect("the caller hangs up");
    calls
        .start_call(start("r3", AT))
        .await
        .expect("the call starts");
    assert_eq!(stop(server).await, Some(0), "a clean shutdown");

    let text = std::fs::read_to_string(&file).expect("the records file exists");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(records.len(), 3, "{text}");
    let by_id = |id: &str| {
        records
            .iter()
            .find(|r| r["call_id"] == id)
            .unwrap_or_else(|| panic!("a record for {id}: {text}"))
    };
    let r1 = by_id("r1");
    assert_eq!(r1["flow"], "hotline");
    assert_eq!(r1["end_reason"], "silence");
    assert_eq!(r1["opening_rule"], "normal opening (afternoon)");
    assert_eq!(r1["started_at"], "2026-11-23T15:00:00+08:00");
    assert_eq!(r1["step_path"], serde_json::json!(["welcome"]));
    assert!(
        r1["flow_version"].as_str().is_some_and(|v| v.len() == 12),
        "{r1}"
    );
    // The record carries the call's score (N18). This front-end reported
    // each silence at once instead of after 5 s, so the caller heard the
    // N5 prompts back to back: the scorer deducts for it.
    assert_eq!(r1["quality"]["score"], 90, "{r1}");
    assert_eq!(
        r1["quality"]["deductions"][0]["rule"], "silent_call",
        "{r1}"
    );
    assert_eq!(r1["quality"]["deductions"][0]["norm"], "N5", "{r1}");
    assert!(
        r1.get("transcript").is_none(),
        "no transcript unless asked: {r1}"
    );
    let r2 = by_id("r2");
    assert_eq!(r2["end_reason"], "caller_hangup");
    assert_eq!(r2["caller"], "**********5678", "the number is masked (N16)");
    assert_eq!(by_id("r3")["end_reason"], "shutdown");
}

#[tokio::test]
async fn records_rotate_by_size_and_can_carry_the_transcript() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("calls.jsonl");
    let server = ServerProcess::start(
        &[
            (
                "CALLSCRIPT_RECORDS_FILE",
                file.to_str().expect("utf-8 path"),
            ),
            ("CALLSCRIPT_RECORDS_MAX_BYTES", "4096"),
            ("CALLSCRIPT_RECORDS_KEEP", "2"),
            ("CALLSCRIPT_RECORDS_TRANSCRIPT", "true"),
            ("CALLSCRIPT_RECORDS_CALLER", "full"),
        ],
        Stdio::null(),
    );
    let mut calls = client(server.addr).await;
    for n in 0..12 {
        let mut call = start(&format!("t{n}"), AT);
        call.caller = "+8613812345678".into();
        calls.start_call(call).await.expect("the call starts");
        silent_call_rest(&mut calls, &format!("t{n}")).await;
    }
    assert_eq!(stop(server).await, Some(0));
    let current = std::fs::read_to_string(&file).expect("the current file");
    let rotated = std::fs::read_to_string(dir.path().join("calls.jsonl.1")).expect("calls.jsonl.1");
    assert!(
        !dir.path().join("calls.jsonl.2").exists(),
        "records_keep = 2 keeps one rotated file"
    );
    for text in [&current, &rotated] {
        assert!(text.len() <= 4096, "{} bytes", text.len());
        for line in text.lines() {
            let r: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            assert_eq!(r["caller"], "+8613812345678");
            assert_eq!(
                r["transcript"][1]["text"],
                "say opening \"您好,XX欢迎您的来电,请问有什么可以帮您?\"",
                "{r}"
            );
        }
    }
    let last: serde_json::Value =
        serde_json::from_str(current.lines().last().expect("a record")).expect("JSON");
    assert_eq!(
        last["call_id"], "t11",
        "the newest call is in the current file"
    );
}

/// The three no_input events of [`silent_call`], for a call already started.
async fn silent_call_rest(calls: &mut CallsClient<Channel>, id: &str) {
    for seq in 1..=3 {
        calls
            .send_event(event(id, seq, no_input()))
            .await
            .expect("no_input is accepted");
    }
}

/// Runs a call on a server with `envs`, stops it, returns its stderr.
async fn server_log(envs: &[(&str, &str)]) -> String {
    let mut server = ServerProcess::start(envs, Stdio::piped());
    let mut stderr = server.take_stderr().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut calls = client(server.addr).await;
    silent_call(&mut calls, "l1").await;
    let _ = calls
        .send_event(pb::CallEvent {
            call_id: "l1".into(),
            seq: 9,
            kind: Some(no_input()),
        })
        .await;
    assert_eq!(stop(server).await, Some(0));
    reader.join().expect("the stderr reader ends")
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_without_escape_codes() {
    let log = server_log(&[("CALLSCRIPT_LOG_FORMAT", "json")]).await;
    assert!(!log.contains('\u{1b}'), "no ANSI escape codes:\n{log}");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let started = lines
        .iter()
        .find(|l| l["message"] == "call started")
        .unwrap_or_else(|| panic!("a call started line:\n{log}"));
    assert_eq!(started["call_id"], "l1");
    assert_eq!(started["level"], "INFO");
    let ended = lines
        .iter()
        .find(|l| l["message"] == "call ended")
        .unwrap_or_else(|| panic!("a call ended line:\n{log}"));
    assert_eq!(ended["reason"], "silence");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["message"] == "call started")
            .count(),
        1
    );
}

#[tokio::test]
async fn text_logs_to_a_pipe_have_no_escape_codes() {
    let log = server_log(&[]).await;
    assert!(!log.contains('\u{1b}'), "no ANSI escape codes:\n{log}");
    assert!(log.contains("call started"), "{log}");
    assert!(
        !log.contains("listening"),
        "the address is on stdout only, once:\n{log}"
    );
}

/// Log lines written while `f` runs, as plain text.
fn captured_log(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .expect("the log buffer")
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = capture.0.lock().expect("the log buffer").clone();
    String::from_utf8(bytes).expect("utf-8 log")
}

#[test]
fn a_saved_flow_file_is_reported_once_however_many_reloads_the_save_causes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/flows");
    for file in ["hotline.toml", "holidays.toml"] {
        std::fs::copy(format!("{shipped}/{file}"), dir.path().join(file)).expect("copy");
    }
    let registry =
        callscript::flow::FlowRegistry::load_dir(dir.path(), None).expect("the copy loads");
    let hotline = dir.path().join("hotline.toml");
    let text = std::fs::read_to_string(&hotline).expect("read");
    std::fs::write(
        &hotline,
        text.replacen("next = \"anything_else\"", "nxet = \"anything_else\"", 1),
    )
    .expect("save a broken edit");
    // An editor's save arrives as several file events: three reloads.
    let log = captured_log(|| {
        for _ in 0..3 {
            registry.reload();
        }
    });
    let rejected: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("flow file rejected"))
        .collect();
    assert_eq!(rejected.len(), 1, "{log}");
    assert!(
        rejected[0].contains("problem=")
            && rejected[0].contains("unknown key `nxet` (did you mean `next`?)"),
        "{log}"
    );
}
