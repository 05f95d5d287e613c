//! Each way a service can fail to start, and one that starts and serves a
//! call, built in-process from settings as `main` builds them.

use std::{collections::HashMap, path::PathBuf};

use super::*;
use crate::{
    config::{self, Overrides},
    grpc::pb::{self, calls_client::CallsClient},
};

fn shipped_flows() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("flows")
}

/// Settings as `callscript serve` reads them, from `CALLSCRIPT_*` values:
/// the shipped flows, an ephemeral port, no watcher unless asked.
fn settings(values: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> =
        HashMap::from([("CALLSCRIPT_WATCH".to_owned(), "false".to_owned())]);
    env.extend(
        values
            .iter()
            .map(|(k, v)| (format!("CALLSCRIPT_{}", k.to_uppercase()), (*v).to_owned())),
    );
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        flows_dir: Some(shipped_flows().display().to_string()),
    };
    config::load(None, env, &overrides).expect("valid settings")
}

async fn start_error(settings: Settings) -> String {
    match App::build(settings).await {
        Ok(_) => panic!("the app started"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_flows_directory_that_cannot_be_read_is_named() {
    let mut s = settings(&[]);
    s.flows_dir = PathBuf::from("/nonexistent/callscript-flows");
    let e = start_error(s).await;
    assert!(
        e.starts_with("flows_dir: cannot read flows directory /nonexistent/callscript-flows: "),
        "{e}"
    );
}

#[tokio::test]
async fn a_missing_tokens_file_is_named() {
    let e = start_error(settings(&[(
        "auth_tokens_file",
        "/nonexistent/tokens.toml",
    )]))
    .await;
    assert!(
        e.starts_with("auth_tokens_file: /nonexistent/tokens.toml: cannot read: "),
        "{e}"
    );
}

#[tokio::test]
async fn a_broken_tokens_file_is_named_with_its_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tokens.toml");
    std::fs::write(&file, "[[client]]\nname = ").expect("write");
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 600");
    let e = start_error(settings(&[(
        "auth_tokens_file",
        &file.display().to_string(),
    )]))
    .await;
    assert!(
        e.starts_with(&format!("auth_tokens_file: {}", file.display())),
        "{e}"
    );
}

#[tokio::test]
async fn tls_files_that_cannot_be_read_are_named() {
    let e = start_error(settings(&[
        ("tls_cert", "/nonexistent/cert.pem"),
        ("tls_key", "/nonexistent/key.pem"),
    ]))
    .await;
    assert!(e.starts_with("TLS: /nonexistent/cert.pem: "), "{e}");
}

#[tokio::test]
async fn a_store_url_that_is_not_one_is_named() {
    let e = start_error(settings(&[("store", "redis://127.0.0.1:notaport/0")])).await;
    assert!(
        e.starts_with("store: \"redis://127.0.0.1:notaport/0\": "),
        "{e}"
    );
}

#[tokio::test]
async fn a_records_file_that_cannot_be_opened_is_named() {
    let e = start_error(settings(&[(
        "records_file",
        "/nonexistent/records/calls.jsonl",
    )]))
    .await;
    assert!(
        e.starts_with("records_file /nonexistent/records/calls.jsonl: "),
        "{e}"
    );
}

#[tokio::test]
async fn an_address_in_use_is_named_for_each_listener() {
    let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = taken.local_addr().expect("bound").to_string();

    let mut s = settings(&[]);
    s.listen = taken.local_addr().expect("bound");
    let e = start_error(s).await;
    assert!(e.starts_with(&format!("cannot listen on {addr}: ")), "{e}");

    let e = start_error(settings(&[("metrics_listen", &addr)])).await;
    assert!(
        e.starts_with(&format!("cannot listen on {addr} (metrics_listen): ")),
        "{e}"
    );
}

/// Built as `main` builds it (the watcher on), the app serves a call and
/// stops when told.
#[tokio::test]
async fn an_app_built_from_settings_serves_a_call() {
    let mut s = settings(&[]);
    s.watch = true;
    s.drain_timeout = std::time::Duration::ZERO;
    let app = App::build(s).await.expect("the app starts");
    let addr = app.local_addr().expect("bound");
    assert_eq!(app.metrics_addr(), None);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    let mut calls = CallsClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let turn = calls
        .start_call(pb::StartCallRequest {
            call_id: "app-1".into(),
            at: "2026-11-23T15:00:00+08:00".into(),
            ..Default::default()
        })
        .await
        .expect("StartCall")
        .into_inner();
    assert_eq!(turn.call_id, "app-1");
    assert_eq!(turn.flow, "hotline");
    assert_eq!(turn.phase(), pb::CallState::Listening);
    assert!(!turn.actions.is_empty(), "the opening is said");
    let _ = stop.send(());
    served
        .await
        .expect("the server task")
        .expect("the server ran");
}

/// Every file and setting is checked before anything listens, and every
/// problem is reported together, not the first alone.
#[tokio::test]
async fn every_problem_with_the_files_is_reported_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let open_tokens = dir.path().join("tokens.toml");
    std::fs::write(
        &open_tokens,
        "[[client]]\nname = \"x\"\ntoken = \"x-token-0123456789\"\nroles = [\"admin\"]\n",
    )
    .expect("write");
    std::fs::set_permissions(
        &open_tokens,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .expect("chmod");
    let e = start_error(settings(&[
        ("auth_tokens_file", &open_tokens.display().to_string()),
        ("tls_cert", "/nonexistent/server.pem"),
        ("tls_key", "/nonexistent/server.key"),
        ("records_file", "/nonexistent/dir/calls.jsonl"),
    ]))
    .await;
    let lines: Vec<&str> = e.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(
        lines[0].starts_with(&format!(
            "  - auth_tokens_file: {}: mode 0644",
            open_tokens.display()
        )),
        "{e}"
    );
    assert!(
        lines[1].starts_with("  - TLS: /nonexistent/server.pem: "),
        "{e}"
    );
    assert!(
        lines[2].starts_with("  - records_file /nonexistent/dir/calls.jsonl: "),
        "{e}"
    );
}
