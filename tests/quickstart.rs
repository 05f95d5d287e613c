//! The README's quick start, run as a newcomer runs it: the five lines of
//! its block through bash and the real grpcurl. The first line (`cargo
//! build --release`) is the build this test already has; the binary under
//! test stands in for `target/release/callscript`, on a free port.
#![allow(
    unsafe_code,
    reason = "stopping the block's server by its process group has no safe wrapper"
)]

use std::{
    net::TcpListener,
    os::unix::process::CommandExt,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

#[path = "common/readme.rs"]
mod readme;

const README_ADDR: &str = "127.0.0.1:50051";

#[test]
fn the_quick_start_is_five_lines_build_serve_and_three_calls() {
    let lines = readme::commands_under("## Quick start");
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert_eq!(lines[0], "cargo build --release");
    assert!(
        lines[1].starts_with("target/release/callscript serve "),
        "{}",
        lines[1]
    );
    for call in &lines[2..] {
        assert!(call.starts_with("grpcurl -plaintext "), "{call}");
        assert!(call.contains(README_ADDR), "{call}");
    }
}

#[test]
fn the_quick_start_runs_as_written() {
    let lines = readme::commands_under("## Quick start");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let script = lines[1..]
        .join("\n")
        .replace(
            "target/release/callscript",
            env!("CARGO_BIN_EXE_callscript"),
        )
        .replace(README_ADDR, &addr);
    let dir = tempfile::tempdir().expect("a working directory");
    let out_file = dir.path().join("out.txt");
    let mut run = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("CALLSCRIPT_LISTEN", &addr)
        .env(
            "CALLSCRIPT_FLOWS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/flows"),
        )
        .env("CALLSCRIPT_WATCH", "false")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_file).expect("the output file"))
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("bash runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = run.try_wait().expect("bash's status") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The server the block left running.
    // SAFETY: kill(2) on the process group this test created.
    unsafe { libc::kill(-(run.id() as i32), libc::SIGKILL) };
    let _ = run.wait();
    let out = std::fs::read_to_string(&out_file).expect("the block's output");
    assert!(
        status.is_some_and(|s| s.success()),
        "the quick start failed or hung ({status:?}); is grpcurl on the PATH?\n{out}"
    );

    // grpcurl prints each reply as one JSON object.
    let turns: Vec<Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("three turns as JSON: {e}\n{out}"));
    assert_eq!(turns.len(), 3, "{out}");
    let said = |turn: &Value| turn["actions"][0]["say"]["promptId"].clone();
    assert_eq!(said(&turns[0]), "opening", "{out}");
    assert_eq!(said(&turns[1]), "transfer_consent", "{out}");
    assert_eq!(
        turns[2]["actions"][0]["transfer"]["target"], "agent_queue",
        "{out}"
    );
}
