//! The README's "Two replicas on Redis" commands, character for character
//! through `sh -c` and the real grpcurl, against two real replicas on a
//! real Redis (the test starts those itself, as the section's first three
//! lines do, and does the `kill -9` the section describes). The shipped
//! flows are copied with the silence wait at 1.5 s so it stays short.
#![allow(
    unsafe_code,
    reason = "libc calls a test needs (a FIFO, a process group kill) have no safe wrapper"
)]

use std::{
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    process::{Command, Output, Stdio},
};

use serde_json::Value;

#[path = "common/binary.rs"]
mod binary;
#[path = "common/readme.rs"]
mod readme;
#[path = "common/redis.rs"]
mod redis;
#[path = "common/replicas.rs"]
mod replicas;

use binary::ServerProcess;
use redis::RedisServer;
use replicas::quick_flows;

const START: &str = r#"grpcurl -plaintext -d '{"call_id":"r1","at":"2026-11-23T15:00:00+08:00"}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const SEND: &str = r#"grpcurl -plaintext -d '{"call_id":"r1","seq":1,"speech":{"text":"你的工号是多少"}}' \
  127.0.0.1:50052 callscript.v1.Calls/SendEvent"#;
const GET: &str =
    r#"grpcurl -plaintext -d '{"call_id":"r1"}' 127.0.0.1:50051 callscript.v1.Calls/GetCall"#;
const CONVERSE: &str = r#"(echo '{"start":{"call_id":"s1","at":"2026-11-23T15:00:00+08:00"}}'; sleep 30) | \
  grpcurl -plaintext -d @ 127.0.0.1:50051 callscript.v1.Calls/Converse &"#;
const RESUME: &str = r#"echo '{"resume":{"call_id":"s1"}}' | \
  grpcurl -plaintext -d @ 127.0.0.1:50052 callscript.v1.Calls/Converse"#;

const REPROMPT: &str = "您好!请问有什么可以帮您?";
const SILENCE_GOODBYE: &str = "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!";

#[test]
fn the_readme_section_is_what_this_test_runs() {
    let commands = readme::commands_under("## Two replicas on Redis");
    assert_eq!(commands.len(), 8, "{commands:#?}");
    assert!(commands[0].starts_with("redis-server "));
    for serve in &commands[1..3] {
        assert!(serve.starts_with("CALLSCRIPT_STORE=redis://127.0.0.1:6379/0 callscript serve"));
    }
    assert_eq!(&commands[3..], [START, SEND, GET, CONVERSE, RESUME]);
}

/// The command as it runs here: the replicas' real addresses.
fn here(command: &str, a: &ServerProcess, b: &ServerProcess) -> String {
    command
        .replace("127.0.0.1:50051", &a.addr.to_string())
        .replace("127.0.0.1:50052", &b.addr.to_string())
}

fn sh(command: &str) -> Output {
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "`{command}` failed; is grpcurl on the PATH?\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("one JSON message")
}

/// Every text said in grpcurl's output of turns, in order.
fn texts(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.trim().strip_prefix("\"text\": \""))
        .map(|t| t.trim_end_matches(['"', ',']).to_owned())
        .collect()
}

#[test]
fn the_readme_replicas_commands_work() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let flows = quick_flows();
    let url = redis.url();
    let env = [("CALLSCRIPT_STORE", url.as_str())];
    let a = ServerProcess::start_in(flows.path(), &env, Stdio::null());
    let b = ServerProcess::start_in(flows.path(), &env, Stdio::null());

    let opening = json(&sh(&here(START, &a, &b)));
    assert_eq!(opening["seq"], "1");
    let answer = json(&sh(&here(SEND, &a, &b)));
    assert_eq!(
        answer["actions"][0]["say"]["text"],
        "我的工号是1024,很高兴为您服务。"
    );
    let record = json(&sh(&here(GET, &a, &b)));
    assert_eq!(record["transcript"].as_array().map(Vec::len), Some(4));

    // The Converse line without its `&`: the test reads its output, in its
    // own process group so the `sleep` goes with it.
    let converse = here(CONVERSE.trim_end_matches('&').trim_end(), &a, &b);
    let mut on_a = Command::new("sh")
        .arg("-c")
        .arg(&converse)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("sh runs");
    let mut lines = BufReader::new(on_a.stdout.take().expect("stdout")).lines();
    let mut first = String::new();
    for line in lines.by_ref() {
        let line = line.expect("grpcurl output");
        first.push_str(&line);
        first.push('\n');
        if line == "}" {
            break;
        }
    }
    assert!(
        first.contains("\"seq\": \"1\""),
        "the opening first: {first}"
    );
    // kill -9 the replica holding the stream, after the opening.
    drop(a);
    let resumed = sh(&here(RESUME, &b, &b));
    let said = texts(&String::from_utf8_lossy(&resumed.stdout));
    assert_eq!(
        said,
        [REPROMPT, SILENCE_GOODBYE],
        "the silence prompts go on where they were"
    );
    // The first grpcurl and its `sleep` go too.
    // SAFETY: kill(2) on a process group this test created.
    unsafe { libc::kill(-(on_a.id() as i32), libc::SIGKILL) };
    let _ = on_a.wait();
}
