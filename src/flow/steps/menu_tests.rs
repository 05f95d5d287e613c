//! `check` on menus and keys: the IVR test flow, edited one mistake at a
//! time, and the exact diagnostics each edit causes.

use crate::flow::check_source;

const IVR: &str = include_str!("../../call/tests/ivr.toml");

fn edited(from: &str, to: &str) -> Vec<String> {
    assert_eq!(IVR.matches(from).count(), 1, "{from:?} occurs once");
    let text = IVR.replacen(from, to, 1);
    let (_, diags) = check_source("t.toml", &text);
    diags
        .0
        .iter()
        .filter(|d| d.severity == crate::flow::Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn the_ivr_test_flow_has_no_errors() {
    assert_eq!(edited("attempts = 2", "attempts = 2"), Vec::<String>::new());
}

#[test]
fn one_key_for_two_intents_is_an_error() {
    assert_eq!(
        edited("dtmf = [\"3\"]", "dtmf = [\"1\"]"),
        [
            "key \"1\" means both \"bill\" and \"yes\": a key has one meaning at a step (give a menu step its own `keys` instead)"
        ]
    );
}

#[test]
fn a_key_behind_a_shorter_one_is_unreachable() {
    assert_eq!(
        edited("\"21\" = \"close\"", "\"11\" = \"close\""),
        [
            "menu step \"biz_menu\": key \"11\" is unreachable: \"1\" is taken as soon as it is pressed"
        ]
    );
}

#[test]
fn a_menu_needs_a_way_out_and_keys_of_keys() {
    assert_eq!(
        edited("exhausted = \"close\"\n", ""),
        [
            "menu step \"biz_menu\" needs `exhausted`: the way out after the caller's last invalid answer"
        ]
    );
    assert_eq!(
        edited("\"21\" = \"close\"", "\"2a\" = \"close\""),
        ["menu step \"biz_menu\": key \"2a\" may hold only 0-9, * and #"]
    );
    assert_eq!(
        edited("attempts = 2", "attempts = 0"),
        ["menu step \"biz_menu\": attempts is 0, must be 1-9"]
    );
}
