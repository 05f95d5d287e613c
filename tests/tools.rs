//! The designers' and testers' commands, run as a user runs them.

use std::{
    io::Write,
    process::{Command, Stdio},
};

fn callscript(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("callscript runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 output"),
    )
}

#[test]
fn simulate_prints_a_silent_call_on_simulated_time() {
    let (code, out) = callscript(&[
        "simulate",
        "--scenario",
        "tests/scenarios/n05-silent-call.toml",
    ]);
    assert_eq!(code, 0, "{out}");
    // One transcript per locale the scenario lists.
    assert!(out.starts_with("--- zh-CN ---\n"), "{out}");
    assert!(out.contains("--- en ---\n"), "{out}");
    assert!(
        out.contains(" 5.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"\n"),
        "{out}"
    );
    assert!(out.contains("15.000s service hang up (silence)\n"), "{out}");
    assert!(out.ends_with("ended: silence\n"), "{out}");
}

/// Runs `callscript ARGS` with `input` piped to stdin; returns the exit
/// code, stdout and stderr.
fn callscript_with_input(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("callscript runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("callscript reads its input");
    let out = child.wait_with_output().expect("callscript finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 output"),
        String::from_utf8(out.stderr).expect("utf-8 errors"),
    )
}

#[test]
fn simulate_plays_the_caller_from_stdin() {
    let (code, out, err) = callscript_with_input(
        &[
            "simulate",
            "--flow",
            "hotline",
            "--at",
            "2026-10-01T09:30:00+08:00",
        ],
        "/silence
/dtmf 3
/hangup
",
    );
    assert_eq!(
        out,
        "\
flow:   hotline (zh-CN)
start:  2026-10-01T09:30:00+08:00 (Asia/Shanghai)
rule:   holiday: National Day: 2026 notice period 2026-10-01..2026-10-07
Type what the caller says, or a command (/help lists them).
  0.000s server  call answered
  0.000s service say opening_national_day \"国庆节快乐!XX客服中心,请问有什么可以帮您!\"
  0.000s service listen 5000 ms
  5.000s server  silence (no-input timer)
  5.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"
  5.000s service listen 5000 ms
  5.000s caller  presses 3
  5.000s service say bill_answer \"您的账单已通过短信发送到您的手机,请注意查收。\"
  5.000s service say anything_else \"您还需要别的帮助吗?\"
  5.000s service listen 5000 ms
  5.000s caller  hangs up
ended: caller_hangup
"
    );
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn simulate_wants_a_scenario_or_a_flow_not_both() {
    let (code, _, err) = callscript_with_input(&["simulate"], "");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("<--scenario <SCENARIO>|--flow <FLOW>>"),
        "{err}"
    );
    let (code, _, err) = callscript_with_input(
        &[
            "simulate",
            "--flow",
            "hotline",
            "--scenario",
            "tests/scenarios/n05-silent-call.toml",
        ],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn simulate_reports_a_failing_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/n05-silent-call.toml"
    ))
    .expect("read");
    let wrong = text.replacen("expect = [\"silence_reprompt\"]", "expect = [\"喂?\"]", 1);
    assert_ne!(wrong, text, "the scenario expects silence_reprompt");
    std::fs::write(&bad, wrong).expect("write");
    let (code, out) = callscript(&["simulate", "--scenario", bad.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("喂?"),
        "the failure shows what was expected: {out}"
    );
    assert!(
        out.contains("silence_reprompt"),
        "and what was heard: {out}"
    );
}

#[test]
fn graph_draws_the_hotline() {
    let (code, out) = callscript(&["graph", "--flow", "hotline"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("flowchart TD\n"), "{out}");
    assert!(out.contains("    welcome -->|bill| bill\n"), "{out}");
    assert!(out.contains("    anywhere -->|agent| to_agent\n"), "{out}");

    let (code, out) = callscript(&["graph", "--flow", "hotline", "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph \"hotline\" {\n"), "{out}");

    let (code, out) = callscript(&["graph", "--flow", "nope"]);
    assert_eq!((code, out.trim()), (1, "--flow: no flow \"nope\" in flows"));
}

#[test]
fn a_bad_at_is_named_and_exits_2_in_greeting_and_simulate() {
    for args in [
        &["greeting", "--flow", "hotline", "--at", "tomorrow"][..],
        &["simulate", "--flow", "hotline", "--at", "tomorrow"][..],
    ] {
        let (code, out) = callscript(args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(
            out.starts_with("--at: \"tomorrow\" is not an RFC 3339 time ("),
            "{args:?}: {out}"
        );
        assert!(out.ends_with("e.g. 2026-10-01T09:30:00+08:00\n"), "{out}");
    }
}
