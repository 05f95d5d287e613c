//! Quality scoring (N18) on real-shaped calls: every transcript in
//! `tests/quality/` scores what `tests/quality/expected.toml` says, and
//! `callscript score` shows it.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::Arc,
};

use callscript::{
    calendar::HolidayCalendar,
    quality::{Deduction, Rules, Scorer, Transcript},
};
use serde::Deserialize;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The scorer as the service builds it: the shipped rules and calendar.
fn shipped_scorer() -> Scorer {
    let read = |f: &str| std::fs::read_to_string(repo().join("flows").join(f)).expect(f);
    let rules = Rules::from_toml("quality.toml", &read("quality.toml")).expect("shipped rules");
    let holidays =
        HolidayCalendar::from_toml("holidays.toml", &read("holidays.toml")).expect("calendar");
    Scorer::new(Arc::new(rules), Arc::new(holidays))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    score: u32,
    deductions: Vec<ExpectedDeduction>,
    #[serde(default)]
    unreadable_lines: Vec<usize>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct ExpectedDeduction {
    rule: String,
    t: f64,
    evidence: String,
}

fn transcripts() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/quality"))
        .expect("tests/quality")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

fn name(p: &Path) -> String {
    p.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_transcript_scores_as_expected() {
    let expected: BTreeMap<String, Expected> = toml::from_str(
        &std::fs::read_to_string(repo().join("tests/quality/expected.toml"))
            .expect("expected.toml"),
    )
    .expect("expected.toml parses");
    let scorer = shipped_scorer();
    let files = transcripts();
    assert!(files.len() >= 20, "the shipped transcripts are missing");
    let mut failures = Vec::new();
    for file in &files {
        let name = name(file);
        let Some(want) = expected.get(&name) else {
            failures.push(format!("{name}: no entry in expected.toml"));
            continue;
        };
        let q = scorer.score_text(&std::fs::read_to_string(file).expect("readable"));
        let got: Vec<ExpectedDeduction> = q
            .deductions
            .iter()
            .map(|d| ExpectedDeduction {
                rule: d.rule.to_owned(),
                t: d.t,
                evidence: d.evidence.clone(),
            })
            .collect();
        let lines: Vec<usize> = q.problems.iter().map(|p| p.line).collect();
        if q.score != want.score || got != want.deductions || lines != want.unreadable_lines {
            failures.push(format!(
                "{name}: expected {} with {:#?} (unreadable {:?})\n  got {} with {:#?} (unreadable {:?})",
                want.score, want.deductions, want.unreadable_lines, q.score, q.deductions, q.problems
            ));
        }
    }
    for name in expected.keys() {
        if !files.iter().any(|f| &self::name(f) == name) {
            failures.push(format!("expected.toml names {name}, which does not exist"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The example: the agent number refused (item 2, -10), then the
/// agent hanging up first (item 8, -6): 84, with both moments and words.
#[test]
fn refused_number_then_hanging_up_first_scores_84() {
    let text =
        std::fs::read_to_string(repo().join("tests/quality/refused-then-hung-up.zh-CN.jsonl"))
            .expect("transcript");
    let q = shipped_scorer().score_text(&text);
    assert_eq!(q.score, 84);
    assert_eq!(q.call.as_deref(), Some("refused-then-hung-up"));
    let [refused, hung_up]: [Deduction; 2] = q.deductions.try_into().expect("two deductions");
    assert_eq!(
        (
            refused.rule,
            refused.norm.as_str(),
            refused.item,
            refused.points,
            refused.t
        ),
        ("agent_number_refused", "N14", Some(2), 10, 15.2)
    );
    assert_eq!(refused.evidence, "这个不方便透露,您还是说您的问题吧。");
    assert_eq!(
        refused.note,
        "the caller asked for the agent number at 14.0 s; the reply gives none"
    );
    assert_eq!(
        (
            hung_up.rule,
            hung_up.norm.as_str(),
            hung_up.item,
            hung_up.points,
            hung_up.t
        ),
        ("agent_hung_up_first", "N12", Some(8), 6, 23.0)
    );
    assert_eq!(hung_up.evidence, "维修人员今天下午会联系您,就这样吧,再见。");
}

/// Each good call scores 100, in all three languages.
#[test]
fn good_calls_score_100_in_each_language() {
    let scorer = shipped_scorer();
    let good: Vec<PathBuf> = transcripts()
        .into_iter()
        .filter(|p| name(p).starts_with("good"))
        .collect();
    for locale in ["zh-CN", "zh-TW", "en"] {
        assert!(
            good.iter().any(|p| name(p).contains(locale)),
            "no good {locale} call"
        );
    }
    for file in good {
        let q = scorer.score_text(&std::fs::read_to_string(&file).expect("readable"));
        assert_eq!((q.score, q.deductions), (100, vec![]), "{}", file.display());
    }
}

#[test]
fn a_transcript_round_trips_through_jsonl() {
    let text = std::fs::read_to_string(repo().join("tests/quality/good-morning-hold.zh-TW.jsonl"))
        .expect("transcript");
    let t = Transcript::parse(&text);
    assert!(t.problems.is_empty());
    assert_eq!(Transcript::parse(&t.to_jsonl()).events, t.events);
}

#[test]
fn the_shipped_transcript_schema_is_current() {
    let shipped = std::fs::read_to_string(repo().join("docs/transcript.schema.json"))
        .expect("docs/transcript.schema.json");
    assert_eq!(
        shipped,
        callscript::quality::json_schema(),
        "docs/transcript.schema.json is out of date: run `cargo run -- score --schema > docs/transcript.schema.json`"
    );
}

// --- `callscript score` ---

fn callscript(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callscript"))
        .current_dir(repo())
        .args(args)
        .output()
        .expect("run the callscript binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

#[test]
fn score_prints_rows_then_the_summary_and_exits_0_on_low_scores() {
    let out = callscript(&[
        "score",
        "tests/quality/refused-then-hung-up.zh-CN.jsonl",
        "tests/quality/good.zh-CN.jsonl",
        "tests/quality/forbidden.zh-CN.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    let expected_start = " 84  tests/quality/refused-then-hung-up.zh-CN.jsonl  call refused-then-hung-up\n     \
-10 item 2 agent_number_refused N14 at 15.2 s: \"这个不方便透露,您还是说您的问题吧。\"  (the caller asked for the agent number at 14.0 s; the reply gives none)\n     \
-6  item 8 agent_hung_up_first N12 at 23.0 s: \"维修人员今天下午会联系您,就这样吧,再见。\"  (the agent hung up 0.5 s after the goodbye, before the caller hung up (wait 5.0 s))\n\
100  tests/quality/good.zh-CN.jsonl  call good-zh-CN\n";
    assert!(text.starts_with(expected_start), "{text}");
    // forbidden.zh-CN scores 60: its 不-ending is item 1 too, at the table's 10.
    assert!(text.contains("\n3 calls, mean score 81.3\n"), "{text}");
    assert!(text.contains("\n     100      1  "), "{text}");
    assert!(text.contains("\n   80-89      1  "), "{text}");
    assert!(text.contains("\n   60-69      1  "), "{text}");
    assert!(
        text.contains("most frequent rules:\n  forbidden_wording        item 1  N13  1 call, 3 deductions, -30 points\n"),
        "{text}"
    );
}

#[test]
fn score_prints_the_transcript_schema_and_reads_stdin() {
    let out = callscript(&["score", "--schema"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), callscript::quality::json_schema());

    let mut child = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .current_dir(repo())
        .args(["score", "--format", "csv", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let text = std::fs::read(repo().join("tests/quality/no-goodbye.en.jsonl")).expect("transcript");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &text).expect("write");
    let out = child.wait_with_output().expect("runs");
    assert_eq!(
        stdout(&out),
        "file,call,score,points_lost,deductions,unreadable_lines\n\
         -,no-goodbye-en,94,6,agent_hung_up_first/item8@6.0,0\n"
    );
}

#[test]
fn score_json_has_calls_and_summary() {
    let out = callscript(&[
        "score",
        "--format",
        "json",
        "tests/quality/wrong-number.zh-TW.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(doc["calls"][0]["score"], 90);
    assert_eq!(
        doc["calls"][0]["deductions"][0]["rule"],
        "agent_number_wrong"
    );
    assert_eq!(
        doc["calls"][0]["deductions"][0]["evidence"],
        "我的工號是一零二三,很高興為您服務。"
    );
    assert_eq!(doc["summary"]["calls"], 1);
    assert_eq!(doc["summary"]["mean"], 90.0);
}

#[test]
fn score_csv_is_one_row_per_call() {
    let out = callscript(&[
        "score",
        "--format",
        "csv",
        "tests/quality/transfer-unasked.zh-CN.jsonl",
        "tests/quality/bad-lines.zh-CN.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "file,call,score,points_lost,deductions,unreadable_lines\n\
         tests/quality/transfer-unasked.zh-CN.jsonl,transfer-unasked,100,0,,0\n\
         tests/quality/bad-lines.zh-CN.jsonl,bad-lines,100,0,,2\n"
    );
}

/// A centre that switches its extras on sees them scored, and marked as
/// its own in every format.
#[test]
fn centre_extras_switched_on_are_marked_centre() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = std::fs::read_to_string(repo().join("flows/quality.toml"))
        .expect("rules")
        .replace("on = false", "on = true");
    std::fs::write(dir.path().join("quality.toml"), rules).expect("write");
    let dir_arg = dir.path().to_string_lossy().into_owned();
    let run = |format: &str| {
        stdout(&callscript(&[
            "score",
            "--flows",
            &dir_arg,
            "--format",
            format,
            "tests/quality/transfer-unasked.zh-CN.jsonl",
        ]))
    };
    assert_eq!(
        run("csv"),
        "file,call,score,points_lost,deductions,unreadable_lines\n\
         tests/quality/transfer-unasked.zh-CN.jsonl,transfer-unasked,92,8,transfer_not_asked/centre@5.5 transfer_no_reason/centre@5.5,0\n"
    );
    assert!(
        run("text").contains(
            "\n     -5  centre transfer_not_asked N10 at 5.5 s: \"transfer to tech_support\""
        ),
        "{}",
        run("text")
    );
    let doc: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    assert_eq!(doc["calls"][0]["deductions"][0]["centre"], true);
    assert_eq!(doc["summary"]["rules"][0]["centre"], true);
}

#[test]
fn bad_lines_are_reported_with_their_numbers_and_the_rest_scores() {
    let out = callscript(&["score", "tests/quality/bad-lines.zh-CN.jsonl"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "100  tests/quality/bad-lines.zh-CN.jsonl  call bad-lines  (partial: some lines could not be read)\n     \
             ! line 3: EOF while parsing an object (column 58)\n     \
             ! line 4: expected exactly one of say, hangup, hold, transfer; found 2\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("1 call, mean score 100.0, 1 scored from part of their lines\n"),
        "{text}"
    );
}

#[test]
fn an_unreadable_file_exits_1_and_the_others_still_score() {
    let out = callscript(&[
        "score",
        "tests/quality/good.zh-CN.jsonl",
        "tests/quality/no-such-call.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("100  tests/quality/good.zh-CN.jsonl"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("callscript score: tests/quality/no-such-call.jsonl: cannot read:"),
        "{err}"
    );
}

#[test]
fn broken_rules_are_reported_with_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = std::fs::read_to_string(repo().join("flows/quality.toml"))
        .expect("rules")
        .replace(
            "[rules.no_goodbye]\nnorm = \"N12\"\npoints = 5",
            "[rules.no_goodbye]\nnorm = \"N12\"\npoints = 500",
        );
    std::fs::write(dir.path().join("quality.toml"), &rules).expect("write");
    let line = rules
        .lines()
        .position(|l| l == "points = 500")
        .expect("edited")
        + 1;
    let dir_arg = dir.path().to_string_lossy().into_owned();
    let out = callscript(&[
        "score",
        "--flows",
        &dir_arg,
        "tests/quality/good.zh-CN.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out),
        format!(
            "{dir_arg}/quality.toml:{line}:10: rules.no_goodbye.points must be 0 to 100, got 500\n"
        )
    );
    // `check` finds the same problem; the service reports it and still
    // serves the flows beside it.
    std::fs::copy(
        repo().join("flows/hotline.toml"),
        dir.path().join("hotline.toml"),
    )
    .expect("copy the hotline");
    // The registry as the service builds it: with the scorer's checker of
    // the rules file.
    let registry = callscript::flow::FlowRegistry::load_dir_with(
        dir.path(),
        None,
        callscript::flow::registry::DEFAULT_MAX_FLOW_BYTES,
        Some(callscript::quality::check_rules_file),
    )
    .expect("loads");
    assert!(
        registry.get("hotline").is_some(),
        "the hotline still serves"
    );
    let problems: Vec<String> = registry.problems().iter().map(|d| d.to_string()).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("rules.no_goodbye.points must be 0 to 100, got 500")),
        "{problems:?}"
    );
    let check = callscript(&["check", &dir_arg]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains(&format!(
            "quality.toml:{line}:10: error[N18]: rules.no_goodbye.points must be 0 to 100, got 500"
        )),
        "{}",
        stdout(&check)
    );
}

#[test]
fn rules_name_every_check_and_points_follow_the_regulations() {
    let rules = Rules::default();
    let points = |id: &str| {
        rules
            .all()
            .iter()
            .find(|r| r.id.key() == id)
            .map(|r| (r.norm.to_string(), r.item, r.points))
            .expect(id)
    };
    assert_eq!(points("forbidden_wording"), ("N13".into(), Some(1), 10));
    assert_eq!(points("agent_number_refused"), ("N14".into(), Some(2), 10));
    assert_eq!(points("agent_number_wrong"), ("N14".into(), Some(2), 10));
    assert_eq!(points("agent_hung_up_first"), ("N12".into(), Some(8), 6));
    assert_eq!(points("line_left_open"), ("N15".into(), Some(9), 10));
    assert_eq!(rules.all().len(), callscript::quality::RuleId::ALL.len());
}
