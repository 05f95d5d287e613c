//! The README's "Two replicas on Redis" block, run as a reader runs it:
//! the whole block through bash, the real redis-server, two real replicas
//! and the real grpcurl, its waits and its `kill -9` included. Only the
//! ports change (free ones for 6379, 50051 and 50052), `callscript` is
//! the binary under test, and the flows are the shipped ones with the
//! silence wait at 1.5 s (`CALLSCRIPT_FLOWS_DIR`) so it stays short.
#![allow(
    unsafe_code,
    reason = "killing the block's leftover processes by their group has no safe wrapper"
)]

use std::{
    net::TcpListener,
    os::unix::process::CommandExt,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

#[path = "common/binary.rs"]
#[allow(dead_code)]
mod binary;
#[path = "common/readme.rs"]
mod readme;
#[path = "common/redis.rs"]
mod redis;
#[path = "common/replicas.rs"]
mod replicas;

use redis::RedisServer;
use replicas::quick_flows;

const OPENING: &str = "您好,XX欢迎您的来电,请问有什么可以帮您?";
const AGENT_NUMBER: &str = "我的工号是1024,很高兴为您服务。";
const REPROMPT: &str = "您好!请问有什么可以帮您?";
const SILENCE_GOODBYE: &str = "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!";

/// The section's block as bash runs it: its commands, one a line.
fn block() -> String {
    readme::commands_under("## Two replicas on Redis").join("\n")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Every text said in grpcurl's output of turns and records, in order.
fn texts(out: &str) -> Vec<&str> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("\"text\": \""))
        .map(|t| t.trim_end_matches(['"', ',']))
        .collect()
}

#[test]
fn the_block_starts_waits_and_kills_as_the_section_says() {
    let block = block();
    for needed in [
        "redis-server --port 6379 ",
        "callscript serve --listen 127.0.0.1:50051 &\nFIRST=$!\n",
        "callscript serve --listen 127.0.0.1:50052 &",
        "grpc.health.v1.Health/Check",
        "kill -9 $FIRST\n",
        "{\"resume\":{\"call_id\":\"s1\"}}",
    ] {
        assert!(
            block.contains(needed),
            "the block lacks {needed:?}:\n{block}"
        );
    }
    let kill = block.find("kill -9").expect("a kill");
    let resume = block.find("\"resume\"").expect("a resume");
    assert!(kill < resume, "resume comes after the replica died");
}

#[test]
fn the_readme_fail_over_block_runs_as_written() {
    // The block starts its own redis-server; this only checks it exists
    // (and fails in CI when it does not).
    if RedisServer::start().is_none() {
        return;
    }
    let flows = quick_flows();
    let dir = tempfile::tempdir().expect("a working directory");
    let mut script = block();
    for (port, free) in [
        (6379, free_port()),
        (50051, free_port()),
        (50052, free_port()),
    ] {
        script = script.replace(&port.to_string(), &free.to_string());
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_callscript"));
    let path = format!(
        "{}:{}",
        binary.parent().expect("the binary's directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out_file = dir.path().join("out.txt");
    let mut run = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("CALLSCRIPT_FLOWS_DIR", flows.path())
        .env("CALLSCRIPT_WATCH", "false")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_file).expect("the output file"))
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("bash runs");
    // The block ends when the resumed call does: about 5 s here.
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
    // Whatever the block left (the first call's `sleep`), and all of it
    // when it hung.
    // SAFETY: kill(2) on the process group this test created.
    unsafe { libc::kill(-(run.id() as i32), libc::SIGKILL) };
    let _ = run.wait();
    let out = std::fs::read_to_string(&out_file).expect("the block's output");
    assert!(status.is_some(), "the block did not finish in 60 s:\n{out}");

    // StartCall on one replica, SendEvent on the other, GetCall's record
    // (the words asked too), the Converse call's opening on the first
    // replica and, after the kill, the silence prompts where they were, on
    // the other.
    assert_eq!(
        texts(&out),
        [
            OPENING,
            AGENT_NUMBER,
            OPENING,
            "你的工号是多少",
            AGENT_NUMBER,
            OPENING,
            REPROMPT,
            SILENCE_GOODBYE
        ],
        "{out}"
    );
    assert!(out.contains("\"hangup\""), "the resumed call ends: {out}");
}
