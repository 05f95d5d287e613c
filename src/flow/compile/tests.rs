//! The compiler's parts on their own: the table of step kinds against the
//! raw step it reads, and checks run one at a time.

use super::super::{
    Severity,
    raw::RawStep,
    steps::{Holds, STEP_KINDS, Written, all_keys},
};
use super::{
    Source,
    settings::{check_locales, check_timing},
    steps::check_required_fields,
};

/// A step of `kind` with every field of its table written once.
fn every_field(kind: &str) -> String {
    let spec = STEP_KINDS.iter().find(|k| k.key == kind).expect("a kind");
    let mut text = format!("{kind} = \"a\"\n");
    for field in spec.fields {
        let value = match field.holds {
            Holds::PromptRef | Holds::StepRef | Holds::Text => "\"a\"",
            Holds::Millis | Holds::Count => "1000",
            Holds::Answers => "{ yes = \"a\" }",
            Holds::Flag => "true",
            Holds::Variables => "[\"a\"]",
            Holds::Digits => "{ max = 4 }",
        };
        text.push_str(&format!("{} = {value}\n", field.key));
    }
    text
}

/// A field added to a kind's table but not to its reader would be
/// silently never found: never required, never resolved.
#[test]
fn every_kind_and_field_in_the_table_is_read_from_a_raw_step() {
    for kind in STEP_KINDS {
        let step: RawStep = toml::from_str(&every_field(kind.key)).expect("a valid step");
        let (spec, raw) = step.kind().expect("the step has its kind");
        assert_eq!(spec.key, kind.key);
        assert_eq!(raw.value().get_ref(), "a", "kind {}", kind.key);
        for field in kind.fields {
            let written = raw.field(field.key);
            assert!(written.is_some(), "{}.{} is not found", kind.key, field.key);
            if matches!(field.holds, Holds::PromptRef | Holds::StepRef) {
                assert!(
                    matches!(written, Some(Written::Name(_))),
                    "{}.{} names a prompt or step but is not read as text",
                    kind.key,
                    field.key
                );
            }
        }
    }
}

/// The keys an unknown one is compared with are exactly the kinds' own.
#[test]
fn all_step_keys_are_the_kinds_keys_and_fields() {
    let mut from_table: Vec<&str> = STEP_KINDS
        .iter()
        .flat_map(|k| std::iter::once(k.key).chain(k.fields.iter().map(|f| f.key)))
        .chain(["barge_in"])
        .collect();
    from_table.sort_unstable();
    from_table.dedup();
    let mut listed = all_keys().to_vec();
    listed.sort_unstable();
    assert_eq!(listed, from_table);
}

const FLOW: &str = r#"id = "t"
locales = ["en", "audio"]
start = "s"

[timing]
no_input_ms = 5
silence_prompts = 2

[steps.s]
hold = "p"
thanks = "p"
"#;

fn parsed() -> super::super::raw::RawFlow {
    let (raw, problems) = super::super::parse::parse(FLOW);
    assert!(problems.is_empty(), "{problems:?}");
    raw.expect("FLOW parses")
}

fn lines(diagnostics: &[super::super::Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(ToString::to_string).collect()
}

/// Each check returns its own problems and nothing of the others', so a
/// part of a flow can be checked, and tested, alone.
#[test]
fn a_check_reports_only_its_own_part_of_the_file() {
    let raw = parsed();
    let source = Source::new("t.toml", FLOW);
    let timing = check_timing(&source, &raw);
    assert_eq!(
        lines(&timing.diagnostics),
        [
            "t.toml:6:15: error: no_input_ms = 5 is not a usable timer: it must be from 1000 to 60000 ms",
            "t.toml:7:19: error[N5]: silence_prompts = 2 must be from 3 to 10",
        ]
    );
    // The usable defaults stand in, so later checks still run.
    assert_eq!(timing.value.silence_prompts, 3);
    let locales = check_locales(&source, &raw);
    assert_eq!(
        lines(&locales.diagnostics),
        ["t.toml:2:18: error: \"audio\" is not a locale name (use e.g. \"zh-CN\")"]
    );
    assert_eq!(locales.value.len(), 1);
}

/// The table says what each missing field breaks; the errors come in the
/// table's order, each with its norm.
#[test]
fn missing_hold_fields_are_reported_from_the_table() {
    let raw = parsed();
    let source = Source::new("t.toml", FLOW);
    let (name, step) = raw.steps.get_ref().iter().next().expect("one step");
    let (hold, kind) = step.get_ref().kind().expect("a hold step");
    let checked = check_required_fields(&source, name, hold, kind, step.span());
    let found: Vec<(Severity, Option<&str>, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| (d.severity, d.norm, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Severity::Error,
                Some("N11"),
                "hold step \"s\" needs `resume`: we apologise for the wait when resuming"
            ),
            (
                Severity::Error,
                None,
                "hold step \"s\" needs `next`: the step after the hold"
            ),
            (
                Severity::Error,
                Some("N11"),
                "hold step \"s\" needs `declined`: the step when the caller does not want to hold"
            ),
            (Severity::Error, None, "hold step \"s\" needs `hold_ms`"),
            (
                Severity::Error,
                Some("N11"),
                "hold step \"s\" needs `failed`: the step when the work behind the hold failed (never claim a success nobody reported)"
            ),
            (
                Severity::Error,
                Some("N11"),
                "hold step \"s\" needs `overdue`: when the hold outlasts hold_ms the caller hears an apology, the new estimate and a callback offer"
            ),
            (
                Severity::Error,
                Some("N11"),
                "hold step \"s\" needs `progress`: a caller who asks how long it takes hears the estimate"
            ),
            (
                Severity::Error,
                Some("N11"),
                "hold step \"s\" needs `callback`: the step when the caller takes the callback offer"
            ),
        ]
    );
}
