//! `check` on the IVR kinds: each case edits the building blocks test flow
//! (`call/tests/blocks.toml`, clean under `--strict`) and expects the exact
//! diagnostics the edit causes.

use super::super::check_source;

const IVR: &str = include_str!("../../call/tests/blocks.toml");

/// The blocks flow with each `(from, to)` replaced once.
fn edit(edits: &[(&str, &str)]) -> String {
    let mut text = IVR.to_owned();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "{from:?} occurs once");
        text = text.replacen(from, to, 1);
    }
    text
}

/// The diagnostics, as the designer reads them, without the file name.
fn check(text: &str) -> Vec<String> {
    check_source("blocks.toml", text)
        .1
        .0
        .iter()
        .map(|d| d.to_string().replacen("blocks.toml:", "", 1))
        .collect()
}

/// The line `needle` is on, 1-based, for positions in expectations.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the needle is in the text")
        + 1
}

#[test]
fn the_blocks_flow_is_clean() {
    assert_eq!(check(IVR), Vec::<String>::new());
}

#[test]
fn a_branch_on_a_variable_nothing_supplies_is_an_error() {
    let text = edit(&[("branch = \"vip\"", "branch = \"vipp\"")]);
    let line = line_of(&text, "branch = \"vipp\"");
    assert_eq!(
        check(&text),
        [format!(
            "{line}:10: error: branch on \"vipp\", which nothing supplies: no default under [variables], no required variable, no `set`, no lookup or hold `gives`, no `into`"
        )]
    );
}

#[test]
fn a_case_no_set_can_produce_is_a_warning() {
    let text = edit(&[
        ("gives = [\"vip\"]", "gives = [\"level\"]"),
        (
            "set = { product = \"宽带\", contact = \"{caller}\" }",
            "set = { product = \"宽带\", contact = \"{caller}\", vip = \"gold\" }",
        ),
    ]);
    let line = line_of(&text, "[steps.route]");
    assert_eq!(
        check(&text),
        [format!(
            "{line}:8: warning: case \"true\" of the branch on \"vip\" can never match: only `set` steps give it, with gold"
        )]
    );
}

#[test]
fn a_set_value_naming_an_unknown_variable_is_an_error() {
    let text = edit(&[("contact = \"{caller}\"", "contact = \"{callr}\"")]);
    let line = line_of(&text, "{callr}");
    let diags = check(&text);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].starts_with(&format!("{line}:"))
            && diags[0].contains("uses {callr}, which nothing supplies"),
        "{diags:?}"
    );
}

// === subflows ===

#[test]
fn a_call_of_an_unknown_subflow_is_an_error() {
    let text = edit(&[("call = \"confirm\"", "call = \"confirn\"")]);
    let line = line_of(&text, "call = \"confirn\"");
    assert_eq!(
        check(&text),
        [format!(
            "{line}:8: error: unknown subflow \"confirn\" (did you mean \"confirm\"?)"
        )]
    );
}

#[test]
fn a_return_label_the_calling_step_does_not_map_is_an_error() {
    let text = edit(&[(
        "returns = { ok = \"bill_done\", retry = \"welcome\" }",
        "returns = { ok = \"bill_done\" }",
    )]);
    let line = line_of(&text, "[steps.bill_confirm]");
    let diags = check(&text);
    assert!(
        diags.contains(&format!(
            "{line}:8: error: step \"bill_confirm\" calls subflow \"confirm\", which can return \"@return:retry\", but its `returns` does not say where that goes"
        )),
        "{diags:?}"
    );
}

#[test]
fn a_subflow_that_calls_itself_is_an_error() {
    let text = edit(&[(
        "on.no = \"@return:retry\"",
        "on.no = \"again\"\n\n[subflows.confirm.steps.again]\ncall = \"confirm\"\nreturns = { ok = \"@return:ok\", retry = \"@return:retry\" }",
    )]);
    let line = line_of(&text, "[subflows.confirm.steps.again]");
    assert_eq!(
        check(&text),
        [format!(
            "{line}:25: error: subflow \"confirm\" calls itself (through step \"confirm.again\"): a call stack that may grow without bound"
        )]
    );
}

#[test]
fn a_step_inside_a_subflow_nothing_leads_to_is_reported() {
    let text =
        format!("{IVR}\n[subflows.confirm.steps.lost]\nsay = \"bill_done\"\nnext = \"ask\"\n");
    let line = line_of(&text, "[subflows.confirm.steps.lost]");
    assert_eq!(
        check(&text),
        [format!(
            "{line}:25: warning: step \"confirm.lost\" is never reached from the start step \"welcome\""
        )]
    );
}

#[test]
fn names_inside_a_subflow_are_its_own() {
    let text = edit(&[("on.yes = \"@return:ok\"", "on.yes = \"bill_done\"")]);
    let line = line_of(&text, "on.yes = \"bill_done\"");
    let diags = check(&text);
    assert_eq!(
        diags[0],
        format!("{line}:10: error: unknown step \"bill_done\""),
        "{diags:?}"
    );
}

// === transfers ===

#[test]
fn a_transfer_target_placeholder_nothing_supplies_is_a_warning() {
    let text = edit(&[("sip:{queue}@pbx.example", "sip:{queue_name}@pbx.example")]);
    let line = line_of(&text, "{queue_name}");
    assert_eq!(
        check(&text),
        [format!(
            "{line}:17: warning: the transfer target uses {{queue_name}}, which nothing supplies (no default, required variable, `set`, lookup or hold `gives`, or `into`)"
        )]
    );
}

#[test]
fn a_target_type_must_be_one_the_pbx_knows() {
    let text = edit(&[("target_type = \"sip\"", "target_type = \"skill\"")]);
    let line = line_of(&text, "target_type = \"skill\"");
    assert_eq!(
        check(&text),
        [format!(
            "{line}:15: error: target_type \"skill\" is none of \"queue\", \"sip\", \"extension\", \"number\""
        )]
    );
}
