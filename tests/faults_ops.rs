//! What an operator relies on under faults, on the real binary (issue 27):
//! every documented metric is exposed, and a log sink that fails (stderr
//! on a full disk) costs log lines, never calls.

#[path = "common/binary.rs"]
mod binary;
#[allow(unused_imports)] // the turn readers are for other tests
mod common;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    process::Stdio,
};

use binary::ServerProcess;
use callscript::grpc::pb::calls_client::CallsClient;
use common::{event, hangup, no_input, start};
use tonic::transport::Channel;

const AT: &str = "2026-11-23T15:00:00+08:00";

async fn client(addr: SocketAddr) -> CallsClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connect to the server");
    CallsClient::new(channel)
}

/// `GET /metrics` over HTTP/1.0: the body.
fn scrape(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to the metrics endpoint");
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send the request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (_, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    body.to_owned()
}

/// The value of the sample `series` (name and labels exactly as exposed).
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Every metric name in the README's metrics table.
fn documented_metrics() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("the README");
    let table = readme
        .split("| metric | labels | what |")
        .nth(1)
        .expect("the README's metrics table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|row| {
            let names = row.split('|').nth(1).unwrap_or_default();
            names
                .split(',')
                .map(|n| n.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A silent unary call to its end, then a request a limit refuses: every
/// series the README documents is then in the exposition.
#[tokio::test]
async fn every_documented_metric_is_exposed_once_provoked() {
    let server = ServerProcess::start(
        &[("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0")],
        Stdio::null(),
    );
    let metrics = server.metrics.expect("metrics are served");
    let mut calls = client(server.addr).await;
    calls.start_call(start("m1", AT)).await.expect("starts");
    for seq in 1..=3 {
        calls
            .send_event(event("m1", seq, no_input()))
            .await
            .expect("no_input");
    }
    let refused = calls
        .start_call(start(&"x".repeat(200), AT))
        .await
        .expect_err("a call id over max_name_bytes");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let big_seq = calls.send_event(event("m1", u64::MAX, hangup())).await;
    assert_eq!(big_seq.unwrap_err().code(), tonic::Code::InvalidArgument);

    let documented = documented_metrics();
    assert!(documented.len() >= 20, "{documented:?}");
    // The scorer runs on the records thread: its histogram fills shortly.
    let text = (0..500)
        .map(|_| scrape(metrics))
        .find(|t| {
            sample(t, "callscript_call_quality_score_count{flow=\"hotline\"}")
                .is_some_and(|n| n >= 1.0)
        })
        .expect("the call's score is recorded");
    for name in &documented {
        let exposed = text.lines().any(|l| {
            !l.starts_with('#')
                && [name.clone(), format!("{name}_count")]
                    .iter()
                    .any(|n| l.starts_with(&format!("{n} ")) || l.starts_with(&format!("{n}{{")))
        });
        assert!(exposed, "{name} is documented but not exposed:\n{text}");
    }
    for (series, value) in [
        (
            "callscript_requests_refused_total{limit=\"max_name_bytes\"}",
            1.0,
        ),
        ("callscript_requests_refused_total{limit=\"max_seq\"}", 1.0),
        (
            "callscript_requests_refused_total{limit=\"max_live_calls\"}",
            0.0,
        ),
        ("callscript_log_lines_dropped_total", 0.0),
    ] {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    }
}

/// stderr on a full device: every write fails. Calls go on as ever, and
/// the lost lines are counted.
#[tokio::test]
async fn a_full_log_disk_drops_log_lines_and_no_call() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let server = ServerProcess::start(
        &[
            ("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0"),
            ("CALLSCRIPT_LOG", "debug"),
        ],
        Stdio::from(full),
    );
    let metrics = server.metrics.expect("metrics are served");
    let mut calls = client(server.addr).await;
    for n in 0..50 {
        let id = format!("full-{n}");
        calls.start_call(start(&id, AT)).await.expect("starts");
        let turn = calls
            .send_event(event(&id, 1, hangup()))
            .await
            .expect("the hang-up is answered")
            .into_inner();
        assert!(turn.ended, "{turn:?}");
    }
    let text = scrape(metrics);
    let dropped = sample(&text, "callscript_log_lines_dropped_total").unwrap_or_default();
    assert!(
        dropped >= 100.0,
        "two lines a call at least: {dropped}\n{text}"
    );
    assert_eq!(
        sample(
            &text,
            "callscript_calls_ended_total{flow=\"hotline\",reason=\"caller_hangup\"}"
        ),
        Some(50.0),
        "{text}"
    );
}

/// `serve` with several bad files and settings: nothing listens, every
/// problem is on stderr at once, and the exit code is 2.
#[test]
fn serve_reports_every_problem_before_listening_and_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("callscript.toml");
    std::fs::write(&config, "colour = \"red\"\nidle_timeout_ms = \"5\"\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("CALLSCRIPT_WATCH", "false")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    assert!(stderr.contains("colour: not a setting"), "{stderr}");
    assert!(stderr.contains("idle_timeout_ms: \"5\""), "{stderr}");

    // Settings that parse, files that do not serve.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CALLSCRIPT_WATCH", "false")
        .env("CALLSCRIPT_FLOWS_DIR", "/nonexistent/flows")
        .env("CALLSCRIPT_AUTH_TOKENS_FILE", "/nonexistent/tokens.toml")
        .env("CALLSCRIPT_TLS_CERT", "/nonexistent/server.pem")
        .env("CALLSCRIPT_TLS_KEY", "/nonexistent/server.key")
        .env("CALLSCRIPT_RECORDS_FILE", "/nonexistent/dir/calls.jsonl")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    for part in [
        "flows_dir: ",
        "auth_tokens_file: /nonexistent/tokens.toml",
        "TLS: /nonexistent/server.pem",
        "records_file /nonexistent/dir/calls.jsonl",
    ] {
        assert!(stderr.contains(part), "{part} in {stderr}");
    }
}

/// A TLS private key group or others may read: the service serves (the
/// key is the operator's to move) but says so loudly, naming the file.
#[test]
fn a_tls_key_others_may_read_is_warned_about_naming_it() {
    use rcgen::{CertificateParams, KeyPair};
    let dir = tempfile::tempdir().expect("temp dir");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("certificate");
    let (cert_file, key_file) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&cert_file, cert.pem()).expect("write");
    std::fs::write(&key_file, key.serialize_pem()).expect("write");
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .expect("chmod");
    let log = dir.path().join("log");
    let server = ServerProcess::start(
        &[
            ("CALLSCRIPT_TLS_CERT", &cert_file.display().to_string()),
            ("CALLSCRIPT_TLS_KEY", &key_file.display().to_string()),
        ],
        Stdio::from(std::fs::File::create(&log).expect("log")),
    );
    drop(server);
    let log = std::fs::read_to_string(&log).expect("log");
    let warned: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("TLS private key is readable"))
        .collect();
    assert!(!warned.is_empty(), "{log}");
    assert!(
        warned[0].contains(&key_file.display().to_string()) && warned[0].contains("0644"),
        "{}",
        warned[0]
    );
}
