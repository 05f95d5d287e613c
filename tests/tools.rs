//! The designers' and testers' commands, run as a user runs them.

use std::process::Command;

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
        "tests/scenarios/n05-silent-call.zh-CN.toml",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(" 5.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"\n"),
        "{out}"
    );
    assert!(out.contains("15.000s service hang up (silence)\n"), "{out}");
    assert!(out.ends_with("ended: silence\n"), "{out}");
}

#[test]
fn simulate_reports_a_failing_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scenarios/n05-silent-call.zh-CN.toml"
    ))
    .expect("read");
    std::fs::write(&bad, text.replace("您好!请问有什么可以帮您?", "喂?")).expect("write");
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
