//! The deploy artefacts agree with the service: the example config loads,
//! the drain fits the supervisors' stop timeouts, and every metric the
//! Grafana dashboard and the alert rules query is one the real binary
//! exports. (deploy/verify checks each artefact with its own ecosystem's
//! tool; .ci/run runs it.)

#[allow(dead_code)] // the gRPC address: only /metrics is read here
#[path = "common/binary.rs"]
mod binary;

use std::{
    collections::{BTreeSet, HashMap},
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::Stdio,
    time::Duration,
};

use binary::ServerProcess;
use callscript::config::{self, Overrides};

fn deploy(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_example_config_loads_with_every_setting_named() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/callscript.toml");
    let settings = config::load(Some(&path), HashMap::new(), &Overrides::default())
        .unwrap_or_else(|e| panic!("deploy/callscript.toml: {e}"));
    assert_eq!(settings.listen.to_string(), "0.0.0.0:50051");
    assert_eq!(settings.drain_timeout, Duration::from_secs(20));
    assert!(settings.metrics_listen.is_some());
    // Every setting appears, set or commented out, so the file documents
    // them all: each `Raw` key the README's table names.
    let text = deploy("callscript.toml");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let keys: BTreeSet<&str> = readme
        .lines()
        .filter(|l| l.contains("| `CALLSCRIPT_"))
        // The setting's name(s): the first cell, before its explanation.
        .filter_map(|l| l.split('|').nth(1))
        .flat_map(|cell| {
            let names = cell.split('(').next().unwrap_or(cell);
            names.split('`').skip(1).step_by(2)
        })
        .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    assert!(keys.len() > 30, "{keys:?}");
    for key in keys {
        assert!(
            text.lines().any(|l| {
                let l = l.trim_start_matches("# ");
                l.starts_with(&format!("{key} = "))
            }),
            "{key} is not in deploy/callscript.toml"
        );
    }
}

/// The drain (20 s + 1 s to exit) ends before any supervisor's SIGKILL.
#[test]
fn the_supervisors_wait_longer_than_the_drain() {
    let drain = callscript::server::DEFAULT_DRAIN.as_secs() + 1;
    let unit = deploy("systemd/callscript.service");
    let stop: u64 = unit
        .lines()
        .find_map(|l| l.strip_prefix("TimeoutStopSec="))
        .and_then(|v| v.parse().ok())
        .expect("TimeoutStopSec in seconds");
    let k8s = deploy("kubernetes/deployment.yaml");
    let grace: u64 = k8s
        .lines()
        .find_map(|l| l.trim().strip_prefix("terminationGracePeriodSeconds: "))
        .and_then(|v| v.parse().ok())
        .expect("terminationGracePeriodSeconds");
    for (what, secs) in [
        ("TimeoutStopSec", stop),
        ("terminationGracePeriodSeconds", grace),
    ] {
        assert!(
            secs >= drain + 5,
            "{what} {secs} s leaves no room after a {drain} s drain"
        );
    }
    for probe in ["path: /healthz", "path: /readyz"] {
        assert!(k8s.contains(probe), "{probe} in the Deployment");
    }
}

/// Metric names in a PromQL expression: identifiers of the families the
/// service exports (`callscript_`, `grpc_server_`, `process_`), with a
/// histogram's `_bucket`/`_sum`/`_count` taken back to its family.
fn metric_names(expr: &str, into: &mut BTreeSet<String>) {
    let mut word = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
            continue;
        }
        if ["callscript_", "grpc_server_", "process_"]
            .iter()
            .any(|p| word.starts_with(p))
        {
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| word.strip_suffix(s))
                .unwrap_or(&word);
            into.insert(family.to_owned());
        }
        word.clear();
    }
}

/// The families `/metrics` declares (`# TYPE name kind`) before any call:
/// every family is there from the start.
fn exported() -> BTreeSet<String> {
    let server = ServerProcess::start(
        &[("CALLSCRIPT_METRICS_LISTEN", "127.0.0.1:0")],
        Stdio::null(),
    );
    let addr = server.metrics.expect("metrics are served");
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("response");
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_dashboard_and_alert_query_names_an_exported_metric() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&deploy("grafana/callscript.json")).expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut queried = BTreeSet::new();
    let mut titles = Vec::new();
    for panel in panels {
        titles.push(panel["title"].as_str().expect("a title").to_owned());
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{panel}");
        for target in targets {
            let expr = target["expr"].as_str().expect("an expr");
            let mut names = BTreeSet::new();
            metric_names(expr, &mut names);
            assert!(!names.is_empty(), "no metric in {expr}");
            queried.extend(names);
        }
    }
    for wanted in [
        "Live calls",
        "Calls started and ended by reason",
        "Silence and front-end-lost ratios",
        "RPC errors by code",
        "RPC latency (p99)",
        "Timer lateness (p99)",
        "Flow reloads",
        "Quality score distribution",
    ] {
        assert!(titles.iter().any(|t| t == wanted), "{wanted} in {titles:?}");
    }
    let alerts = deploy("prometheus/alerts.yml");
    for line in alerts.lines() {
        metric_names(line, &mut queried);
    }
    let exported = exported();
    let missing: Vec<&String> = queried.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "queried but not exported: {missing:?}\nexported: {exported:?}"
    );
    for family in [
        "callscript_live_calls",
        "grpc_server_handled_total",
        "grpc_server_handling_seconds",
        "callscript_call_quality_score",
        "callscript_timer_lateness_seconds",
        "callscript_flow_reloads_total",
    ] {
        assert!(queried.contains(family), "{family} is queried");
    }
}
