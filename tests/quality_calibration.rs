//! The calibration corpus (tests/quality/calibration/): at least 40 calls
//! in three locales, each scored by a QA lead from the deduction table in
//! `verdicts.toml`. The scorer must agree exactly on 95 % or more of the
//! totals and of the per-item deductions.

use std::{path::PathBuf, process::Command, sync::Arc};

use callscript::{
    calendar::HolidayCalendar,
    quality::{AGREEMENT_FLOOR, Rules, Scorer, calibrate},
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> PathBuf {
    repo().join("tests/quality/calibration")
}

#[test]
fn the_scorer_agrees_with_the_qa_lead_on_95_percent_of_the_corpus() {
    let read = |f: &str| std::fs::read_to_string(repo().join("flows").join(f)).expect(f);
    let rules = Rules::from_toml("quality.toml", &read("quality.toml")).expect("shipped rules");
    let holidays =
        HolidayCalendar::from_toml("holidays.toml", &read("holidays.toml")).expect("calendar");
    let scorer = Scorer::new(Arc::new(rules), Arc::new(holidays));
    let cal = calibrate(&scorer, &corpus()).expect("a whole corpus");
    assert!(cal.calls >= 40, "{} calls in the corpus", cal.calls);
    let mut report = Vec::new();
    cal.write_text(&mut report).expect("report");
    let report = String::from_utf8(report).expect("UTF-8");
    assert!(
        cal.total_agreement() >= AGREEMENT_FLOOR && cal.item_agreement() >= AGREEMENT_FLOOR,
        "{report}"
    );
    assert!(cal.passes());
}

#[test]
fn the_corpus_covers_three_locales_and_the_service_itself() {
    let names: Vec<String> = std::fs::read_dir(corpus())
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    for locale in [".zh-CN.jsonl", ".zh-TW.jsonl", ".en.jsonl"] {
        let n = names.iter().filter(|f| f.ends_with(locale)).count();
        assert!(n >= 8, "{n} calls in {locale}");
    }
    assert!(names.iter().filter(|f| f.starts_with("ivr-")).count() >= 5);
}

#[test]
fn score_calibrate_prints_the_agreement() {
    let out = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .current_dir(repo())
        .args(["score", "--calibrate", "tests/quality/calibration"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("45 calls: exact total 45/45 (100.0 %), per item 100.0 % (floor 95 %)\n"),
        "{text}"
    );

    // A verdict the scorer does not share is named, and below the floor
    // the command fails.
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["cn-good-bill.zh-CN.jsonl", "cn-wrong-number.zh-CN.jsonl"] {
        std::fs::copy(corpus().join(name), dir.path().join(name)).expect("copy");
    }
    std::fs::write(
        dir.path().join("verdicts.toml"),
        "[\"cn-good-bill.zh-CN.jsonl\"]\ntotal = 100\nwhy = \"clean\"\n\n\
         [\"cn-wrong-number.zh-CN.jsonl\"]\ntotal = 100\nwhy = \"a lenient lead\"\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .current_dir(repo())
        .args(["score", "--calibrate"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("2 calls: exact total 1/2 (50.0 %), per item 0.0 % (floor 95 %)\n"),
        "{text}"
    );
    assert!(
        text.contains("  differs: cn-wrong-number.zh-CN.jsonl: lead 100, scorer 90; item 2: lead -0, scorer -10\n    the lead: a lenient lead\n"),
        "{text}"
    );
}
