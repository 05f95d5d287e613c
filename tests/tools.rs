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
/lookup bill ok amount=58.50
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
  0.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
  5.000s server  silence (no-input timer)
  5.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"
  5.000s service listen 5000 ms
  5.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
  6.000s caller  presses 3
  6.000s         (understood: bill)
  6.000s service look up bill (caller)
  6.000s service listen 2000 ms
  6.000s         (waiting for the lookup: /lookup bill ok name=value … or /lookup bill failed; /silence lets the wait run on)
  7.000s pbx     lookup bill answered (amount)
  7.000s service say bill_answer \"您本月话费58.50元。\"
  7.000s service say anything_else \"您还需要别的帮助吗?\"
  7.000s service listen 5000 ms
  7.000s         (understands: yes [1], no [2], agent [0], complaint, agent_number, a request → more_help)
  8.000s caller  hangs up
ended: caller_hangup
path:  welcome → bill → anything_else
score: 100 (no deductions)
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
    assert!(out.contains("    welcome -->|\"bill\"| bill\n"), "{out}");
    assert!(
        out.contains("    anywhere -->|\"agent\"| to_agent\n"),
        "{out}"
    );

    let (code, out) = callscript(&["graph", "--flow", "hotline", "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("digraph \"hotline\" {\n"), "{out}");

    let (code, out) = callscript(&["graph", "--flow", "nope"]);
    assert_eq!(
        (code, out.trim()),
        (
            1,
            "--flow: no flow \"nope\" in flows (it has hotline, menu, outbound; a flow file is given as path/to/flow.toml)"
        )
    );
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

#[test]
fn a_flows_directory_without_holidays_toml_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/flows/hotline.toml"),
        dir.path().join("hotline.toml"),
    )
    .expect("copy the hotline");
    let flows = dir.path().to_str().expect("utf-8 path");
    let warning = format!(
        "{flows}/holidays.toml:1:1: warning[N4]: no holidays.toml in {flows}: holiday openings \
         fall back to the computed days (1 Jan, lunar 1/1, 1 May, lunar 8/15, 1 Oct), not the \
         official notice periods\n"
    );
    // 3 October 2026 is inside the National Day notice period, but only
    // 1 October is a computed day: the copy greets as on a normal morning.
    let (code, out) = callscript(&[
        "greeting",
        "--flows",
        flows,
        "--at",
        "2026-10-03T09:30:00+08:00",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with(&warning), "{out}");
    assert!(out.contains("prompt: opening_morning\n"), "{out}");

    let (code, out) = callscript(&["check", flows]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        format!("{warning}  = see docs/norms.md#n4\nchecked 1 file: 0 errors, 1 warning\n")
    );

    // The service says so too (logged at start-up, in ListFlows' problems).
    let registry =
        callscript::flow::FlowRegistry::load_dir(dir.path(), None).expect("the copy loads");
    let problems: Vec<String> = registry
        .problems()
        .iter()
        .map(|p| format!("{p}\n"))
        .collect();
    assert_eq!(problems, std::slice::from_ref(&warning));
    // Once the file is back, the warning goes.
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/flows/holidays.toml"),
        dir.path().join("holidays.toml"),
    )
    .expect("copy holidays.toml");
    registry.reload();
    assert!(registry.problems().is_empty(), "{:?}", registry.problems());
}

#[test]
fn check_reports_every_problem_of_a_file_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/flows/holidays.toml"),
        dir.path().join("holidays.toml"),
    )
    .expect("copy holidays.toml");
    let hotline =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/flows/hotline.toml"))
            .expect("read the hotline");
    let edits = [
        // A misspelt key, a key with no near name, a value of the wrong
        // type, a misspelt variable and a norm broken, all in one file.
        ("title = \"Standard", "titel = \"Standard"),
        ("[steps.bill]\n", "[steps.bill]\ncolour = \"red\"\n"),
        ("no_input_ms = 5000 ", "no_input_ms = \"5s\""),
        ("zh-CN = \"您本月话费", "zh-CN = \"{compnay}您本月话费"),
        ("consent = \"transfer_consent\"\n", ""),
    ];
    let mut text = hotline;
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "{from:?}");
        text = text.replacen(from, to, 1);
    }
    let file = dir.path().join("hotline.toml");
    std::fs::write(&file, &text).expect("write the flow");
    let line_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .expect("the edited line")
            + 1
    };
    let (code, out) = callscript(&["check", file.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{out}");
    let name = file.display();
    let expected = [
        format!(
            "{name}:{}:1: error: unknown key `titel` (did you mean `title`?)",
            line_of("titel")
        ),
        format!(
            "{name}:{}:15: error: invalid type: string \"5s\", expected i64",
            line_of("no_input_ms")
        ),
        format!(
            "{name}:{}:10: error: unknown variable {{compnay}}: neither a flow default nor required at StartCall (did you mean {{company}}? or declare it under [variables] or in required_variables)",
            line_of("{compnay}")
        ),
        format!(
            "{name}:{}:1: error: unknown key `colour`, expected one of",
            line_of("colour")
        ),
        format!(
            "{name}:{}:1: error[N10]: transfer step \"to_agent\" needs `consent`",
            line_of("[steps.to_agent]")
        ),
    ];
    for line in &expected {
        assert!(out.contains(line.as_str()), "{line}\nnot in\n{out}");
    }
    assert!(out.contains("  = see docs/norms.md#n10\n"), "{out}");
    assert!(
        out.ends_with("checked 1 file: 5 errors, 0 warnings\n"),
        "nothing else is reported (no knock-on errors):\n{out}"
    );
}

/// Runs `callscript ARGS` in `dir` with an empty stdin; returns the exit
/// code and stdout.
fn callscript_in(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("callscript runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 output"),
    )
}

#[test]
fn a_flow_file_path_is_accepted_where_a_flow_id_is() {
    let (code, out, _) = callscript_with_input(
        &[
            "simulate",
            "--flow",
            "flows/outbound.toml",
            "--at",
            "2026-11-23T15:00:00+08:00",
            "--var",
            "customer=张三",
        ],
        "/hangup\n",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("flow:   outbound (zh-CN)\n"), "{out}");
    let (code, out) = callscript(&[
        "greeting",
        "--flow",
        "flows/hotline.toml",
        "--at",
        "2026-10-01T09:30:00+08:00",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("prompt: opening_national_day\n"), "{out}");
    // Closed (the hotline answers until 21:00 on weekdays): the opening a
    // call at that moment really gets, the after-hours one.
    let (code, out) = callscript(&[
        "greeting",
        "--flow",
        "flows/hotline.toml",
        "--at",
        "2026-11-23T22:30:00+08:00",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("hours:  closed: "), "{out}");
    assert!(out.contains("prompt: after_hours\n"), "{out}");
    assert!(
        out.contains("  zh-CN: 您好,XX欢迎您的来电。现在是非服务时间"),
        "{out}"
    );
    let (code, out) = callscript(&["graph", "--flow", "flows/hotline.toml"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("flowchart TD\n"), "{out}");

    let (code, out) = callscript(&["greeting", "--flow", "flows/hotlin.toml"]);
    assert_eq!(
        (code, out.as_str()),
        (1, "--flow: there is no flow file flows/hotlin.toml\n")
    );
    let (code, out) = callscript(&["greeting", "--flow", "hotlin"]);
    assert_eq!(
        (code, out.as_str()),
        (
            1,
            "--flow: no flow \"hotlin\" in flows (it has hotline, menu, outbound; a flow file is given as path/to/flow.toml)\n"
        )
    );
}

#[test]
fn outside_the_repository_the_commands_say_how_to_find_the_flows() {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let hint = "hint: run callscript where its flows/ directory is (the repository), \
                or give --flows DIR, or --flow path/to/flow.toml\n";
    for args in [
        &["greeting"][..],
        &["graph", "--flow", "hotline"],
        &["simulate", "--flow", "hotline"],
    ] {
        let (code, out) = callscript_in(elsewhere.path(), args);
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(
            out.starts_with("cannot read flows directory flows: ") && out.ends_with(hint),
            "{args:?}: {out}"
        );
    }
    // With the way to the flows, the same commands work from anywhere.
    let flows = concat!(env!("CARGO_MANIFEST_DIR"), "/flows");
    let hotline = concat!(env!("CARGO_MANIFEST_DIR"), "/flows/hotline.toml");
    let (code, out) = callscript_in(elsewhere.path(), &["greeting", "--flows", flows]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = callscript_in(elsewhere.path(), &["simulate", "--flow", hotline]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("end of input: the call is still live"),
        "{out}"
    );
}

#[test]
fn help_shows_real_defaults() {
    for command in ["greeting", "graph"] {
        let (code, out) = callscript(&[command, "--help"]);
        assert_eq!(code, 0);
        assert!(
            out.contains(
                "Flow id, or a flow file (path/to/flow.toml) [default: the default flow]\n"
            ),
            "{command}: {out}"
        );
        assert!(!out.contains("[default: \"\"]"), "{command}: {out}");
    }
    let (_, out) = callscript(&["simulate", "--help"]);
    assert!(out.contains("[default: 1s]"), "{out}");
}

/// A file with no line the scorer can read is no call at all: it is an
/// error naming the file, never a score of 100.
#[test]
fn score_refuses_a_file_with_no_readable_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    let junk = dir.path().join("junk.jsonl");
    std::fs::write(&junk, "this is not a transcript\n{\"t\": \"soon\"}\n").expect("write");
    for (file, why) in [(&empty, "line 1: empty transcript"), (&junk, "line 1: ")] {
        let name = file.to_str().expect("utf-8 path");
        let (code, out, err) = callscript_with_input(&["score", name], "");
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains(&format!(
                "{name}: no readable transcript line, not scored ("
            )),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
        assert!(out.contains("0 calls, "), "no call is scored: {out}");
    }
}

/// The norms write 先生/小姐 where an agent says one title; a prompt for
/// text-to-speech that copies it is warned about, with the norm and the fix.
#[test]
fn check_warns_on_both_titles_in_a_spoken_prompt() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/flows/holidays.toml"),
        dir.path().join("holidays.toml"),
    )
    .expect("copy holidays.toml");
    let outbound =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/flows/outbound.toml"))
            .expect("read the outbound flow");
    let from = "请问是{customer}{salutation}吗?我姓";
    assert_eq!(outbound.matches(from).count(), 1);
    let text = outbound.replacen(from, "请问是{customer}先生/小姐吗?我姓", 1);
    let file = dir.path().join("outbound.toml");
    std::fs::write(&file, &text).expect("write the flow");
    let line = text
        .lines()
        .position(|l| l.contains("先生/小姐吗?我姓"))
        .expect("the edited line")
        + 1;
    let (code, out) = callscript(&["check", "--strict", file.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{out}");
    let want = format!("{}:{line}:", file.display());
    let warning = out
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no warning on line {line}:\n{out}"));
    assert!(warning.contains("warning[N3b]"), "{warning}");
    assert!(
        warning.contains("prompt \"verify_identity\" (zh-CN) says \"先生/小姐\": text-to-speech reads both titles and the slash; give the caller's title from their data ({salutation}"),
        "{warning}"
    );
}
