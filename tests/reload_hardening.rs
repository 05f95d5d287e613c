//! Reloading the flows directory cannot be wedged or silently change the
//! default: a FIFO, a link to /dev/zero, a deleted default flow, an
//! unreadable directory, two files with one flow id, an oversized file.
//! Each leaves the service serving and the problem reported.
#![allow(
    unsafe_code,
    reason = "libc calls a test needs (a FIFO, a process group kill) have no safe wrapper"
)]

mod common;

use std::{path::Path, sync::Arc, time::Duration};

use callscript::{
    engine::EngineSettings,
    flow::{Diagnostic, FlowRegistry},
    grpc::pb,
};
use common::*;

fn copy_flows() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let flows = tmp.path().join("flows");
    std::fs::create_dir(&flows).expect("flows dir");
    for entry in std::fs::read_dir(shipped_flows()).expect("shipped flows") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, flows.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    tmp
}

/// Reloads on another thread, so a hang fails the test instead of blocking
/// it forever.
fn reload_within_seconds(registry: &Arc<FlowRegistry>) -> Vec<Diagnostic> {
    let (tx, rx) = std::sync::mpsc::channel();
    let reg = registry.clone();
    std::thread::spawn(move || {
        let _ = tx.send(reg.reload().problems);
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the reload finished instead of blocking")
}

fn problem_for<'a>(problems: &'a [Diagnostic], file: &str) -> &'a Diagnostic {
    problems
        .iter()
        .find(|d| d.file.ends_with(file))
        .unwrap_or_else(|| panic!("no problem for {file}: {problems:#?}"))
}

fn load(dir: &Path) -> Arc<FlowRegistry> {
    Arc::new(FlowRegistry::load_dir(dir, None).expect("the copied flows load"))
}

fn still_serving(registry: &FlowRegistry) {
    let default = registry.get("").expect("a default flow");
    assert_eq!(&**default.id(), "hotline", "the default changed");
    assert!(registry.get("outbound").is_some());
}

#[test]
fn a_fifo_is_a_problem_not_a_hang() {
    let tmp = copy_flows();
    let dir = tmp.path().join("flows");
    let registry = load(&dir);
    let fifo = dir.join("evil.toml");
    let path = std::ffi::CString::new(fifo.to_str().expect("utf-8 path")).expect("no NUL");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0, "mkfifo");
    let problems = reload_within_seconds(&registry);
    let p = problem_for(&problems, "evil.toml");
    assert_eq!(
        p.message,
        "not a regular file (a FIFO); only regular files are read"
    );
    still_serving(&registry);
}

#[test]
fn a_link_to_dev_zero_is_a_problem_and_nothing_is_read() {
    let tmp = copy_flows();
    let dir = tmp.path().join("flows");
    let registry = load(&dir);
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.toml")).expect("symlink");
    let problems = reload_within_seconds(&registry);
    assert_eq!(
        problem_for(&problems, "zero.toml").message,
        "not a regular file (a device); only regular files are read"
    );
    still_serving(&registry);
}

#[test]
fn a_file_over_max_flow_bytes_is_refused_unread() {
    let tmp = copy_flows();
    let dir = tmp.path().join("flows");
    let registry =
        Arc::new(FlowRegistry::load_dir_with(&dir, None, 64 << 10, None).expect("the flows load"));
    std::fs::write(dir.join("junk.toml"), vec![b'#'; 100 << 10]).expect("write");
    let problems = reload_within_seconds(&registry);
    assert_eq!(
        problem_for(&problems, "junk.toml").message,
        "102400 bytes is more than max_flow_bytes (65536); not read"
    );
    still_serving(&registry);
}

#[test]
fn deleting_the_default_flows_file_keeps_its_last_good_version_and_says_so() {
    let tmp = copy_flows();
    let dir = tmp.path().join("flows");
    let registry = load(&dir);
    let before = registry.get("hotline").expect("hotline");
    std::fs::remove_file(dir.join("hotline.toml")).expect("delete");
    let problems = reload_within_seconds(&registry);
    let p = problem_for(&problems, "hotline.toml");
    assert!(
        p.message.starts_with("the default flow \"hotline\""),
        "{}",
        p.message
    );
    assert!(p.message.contains("keeps serving"), "{}", p.message);
    let after = registry.get("").expect("a default");
    assert!(Arc::ptr_eq(&before, &after), "the same version serves");
    assert!(
        registry
            .list()
            .iter()
            .any(|s| s.is_default && &**s.flow.id() == "hotline")
    );
}

/// Tests run as root, which reads any directory whatever its mode; a
/// flows path that is no longer a directory fails the same way for
/// everyone.
#[test]
fn an_unreadable_directory_is_a_problem_and_the_flows_keep_serving() {
    let tmp = copy_flows();
    let dir = tmp.path().join("flows");
    let registry = load(&dir);
    std::fs::remove_dir_all(&dir).expect("remove the directory");
    std::fs::write(&dir, "not a directory").expect("a file in its place");
    let problems = reload_within_seconds(&registry);
    let p = problem_for(&problems, "flows");
    assert!(
        p.message.starts_with("cannot read the flows directory:"),
        "{}",
        p.message
    );
    still_serving(&registry);
    assert_eq!(registry.problems().len(), 1, "reported until it is fixed");
}

#[test]
fn two_files_with_one_flow_id_name_both_and_the_serving_version_stays() {
    let tmp = copy_flows();
    let dir = tmp.path().join("flows");
    let registry = load(&dir);
    let before = registry.get("hotline").expect("hotline");
    // Sorts before hotline.toml: file-name order must not decide.
    let copy = std::fs::read_to_string(dir.join("hotline.toml"))
        .expect("read")
        .replacen("version = ", "version = \"copy\"\n# was: ", 1);
    std::fs::write(dir.join("a-copy.toml"), copy).expect("write");
    let problems = reload_within_seconds(&registry);
    for file in ["a-copy.toml", "hotline.toml"] {
        let p = problem_for(&problems, file);
        assert!(
            p.message.contains("a-copy.toml") && p.message.contains("hotline.toml"),
            "{}",
            p.message
        );
        assert!(
            p.message.contains("the version already serving (from"),
            "{}",
            p.message
        );
    }
    let after = registry.get("hotline").expect("hotline");
    assert!(Arc::ptr_eq(&before, &after), "the serving version stays");
}

/// Through the server: ReloadFlows answers at once with the FIFO reported,
/// and calls go on.
#[tokio::test]
async fn reload_flows_over_grpc_answers_with_a_fifo_in_the_directory() {
    let tmp = copy_flows();
    let dir = tmp.path().join("flows");
    let registry = load(&dir);
    let mut server = start_server_with(registry, EngineSettings::default()).await;
    let path =
        std::ffi::CString::new(dir.join("pipe.toml").to_str().expect("utf-8")).expect("no NUL");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0, "mkfifo");
    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        server.flows.reload_flows(pb::ReloadFlowsRequest {}),
    )
    .await
    .expect("ReloadFlows answered")
    .expect("OK")
    .into_inner();
    assert!(
        reply
            .problems
            .iter()
            .any(|d| d.file.ends_with("pipe.toml") && d.message.contains("a FIFO")),
        "{:#?}",
        reply.problems
    );
    server
        .calls
        .start_call(start("after-fifo", "2026-11-23T15:00:00+08:00"))
        .await
        .expect("calls go on");
    server.stop().await;
}
