//! `check` on collect steps: the IVR test flow, edited one mistake at a
//! time, and the exact errors each edit causes.

use crate::flow::{Severity, check_source};

const IVR: &str = include_str!("../../call/tests/ivr.toml");

fn edited(from: &str, to: &str) -> Vec<String> {
    assert_eq!(IVR.matches(from).count(), 1, "{from:?} occurs once");
    let text = IVR.replacen(from, to, 1);
    let (_, diags) = check_source("t.toml", &text);
    diags
        .0
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

const DIGITS: &str = "digits = { min = 11, max = 11, terminator = \"#\", inter_digit_ms = 3000 }";

#[test]
fn digits_without_max_or_terminator_have_no_bound() {
    assert_eq!(
        edited(DIGITS, "digits = { min = 11 }"),
        [
            "collect step \"bill_number\": digits without `max` or `terminator` has no bound: the caller could key forever"
        ]
    );
}

#[test]
fn counts_terminator_and_pause_are_checked() {
    assert_eq!(
        edited(
            DIGITS,
            "digits = { min = 12, max = 11, terminator = \"5\", inter_digit_ms = 100 }"
        ),
        [
            "collect step \"bill_number\": digits need 1 <= min <= max <= 32 (min 12, max 11)",
            "collect step \"bill_number\": terminator \"5\" must be \"#\" or \"*\"",
            "collect step \"bill_number\": inter_digit_ms is 100, must be 500-30000",
        ]
    );
}

#[test]
fn a_pattern_must_be_a_regular_expression_and_into_a_variable_name() {
    let errors = edited("pattern = '^1\\d{10}$'", "pattern = '^1\\d{10$'");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("collect step \"bill_number\": pattern is no regular expression"),
        "{errors:?}"
    );
    assert_eq!(
        edited("into = \"phone\"", "into = \"the phone\""),
        [
            // The prompt that says {phone}, in each locale.
            "unknown variable {phone}: neither a flow default nor required at StartCall (declare it under [variables], or in required_variables when every StartCall gives it)",
            "unknown variable {phone}: neither a flow default nor required at StartCall (declare it under [variables], or in required_variables when every StartCall gives it)",
            "\"the phone\" is not a variable name (letters, digits and '_')",
        ]
    );
}

#[test]
fn a_collect_step_needs_its_variable() {
    assert_eq!(
        edited("into = \"phone\"\n", ""),
        [
            "unknown variable {phone}: neither a flow default nor required at StartCall (declare it under [variables], or in required_variables when every StartCall gives it)",
            "unknown variable {phone}: neither a flow default nor required at StartCall (declare it under [variables], or in required_variables when every StartCall gives it)",
            "collect step \"bill_number\" needs `into`: the variable that keeps what was collected",
        ]
    );
}

#[test]
fn a_fixed_recording_cannot_say_what_only_the_call_knows() {
    let errors = edited(
        "ssml = \"<speak xml:lang=\\\"{locale}\\\">{text}</speak>\" }",
        "audio = \"number_is.{locale}.wav\" }",
    );
    assert_eq!(
        errors,
        [
            "prompt \"number_is\" has a fixed audio file but says {phone}, which only the call knows: drop `audio` (TTS says it) or the placeholder"
        ]
    );
    assert_eq!(
        edited("{phone:digits}。", "{phone:words}。"),
        ["unknown format \"words\" (write {name}, {name:digits} or {name:money})"]
    );
}
