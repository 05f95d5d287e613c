//! Lookup steps: the front-end fetches data; the caller hears nothing for
//! `lookup_quiet_ms`, then the hold wording (N11); an answer feeds the
//! prompts that follow; a failure or no answer takes the `failed` branch
//! with an apology.

use std::time::Duration;

use super::*;

const WAIT: &str = "正在为您查询,请您稍候,谢谢。";
const UNAVAILABLE: &str = "非常抱歉,暂时没能查到您的话费,请您稍后再查询,或者说转人工。";

fn bill(ok: bool, amount: Option<&str>) -> Event {
    Event::LookupResult {
        name: "bill".into(),
        ok,
        variables: amount
            .map(|a| [("amount".to_owned(), a.to_owned())].into())
            .unwrap_or_default(),
    }
}

/// A zh-CN call whose bill lookup went out 5 s into the call.
fn looking_up() -> Call {
    let mut call = Call::zh_cn();
    call.send_at(Duration::from_secs(5), words("查话费"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    assert_eq!(call.at(), ("looking_up", Some("bill")));
    call
}

#[test]
fn the_lookup_carries_its_params_with_the_calls_values() {
    let (mut call, _) = Call::with(hotline(), &[]);
    let mut out = Vec::new();
    call.machine
        .handle_at(Duration::from_secs(1), &words("查话费"), &mut out);
    assert_eq!(
        out[0],
        Action::Lookup {
            name: "bill".into(),
            params: [("caller".to_owned(), "13800138000".to_owned())].into(),
        }
    );
}

#[test]
fn an_answer_within_the_quiet_time_is_said_at_once() {
    let mut call = looking_up();
    call.send_at(Duration::from_millis(6500), bill(true, Some("128.00")))
        .is(
            &["say:bill_answer", "say:anything_else", LISTEN],
            &["您本月话费128.00元。", ANYTHING_ELSE],
        );
}

#[test]
fn a_slow_answer_hears_please_hold_then_the_apology_then_the_amount() {
    let mut call = looking_up();
    call.send_at(Duration::from_secs(7), silence())
        .is(&["say:lookup_wait", "listen:8000"], &[WAIT]);
    call.send_at(Duration::from_secs(9), bill(true, Some("58.50")))
        .is(
            &[
                "say:hold_resume",
                "say:bill_answer",
                "say:anything_else",
                LISTEN,
            ],
            &[HOLD_RESUME, BILL, ANYTHING_ELSE],
        );
}

#[test]
fn a_failed_lookup_takes_the_failed_branch() {
    let mut call = looking_up();
    call.send(bill(false, None)).is(
        &["say:bill_unavailable", "say:anything_else", LISTEN],
        &[UNAVAILABLE, ANYTHING_ELSE],
    );
    // An ok answer without the amount it promised is no answer either.
    let mut call = looking_up();
    call.send(bill(true, None)).is(
        &["say:bill_unavailable", "say:anything_else", LISTEN],
        &[UNAVAILABLE, ANYTHING_ELSE],
    );
}

#[test]
fn a_lookup_with_no_answer_times_out_with_an_apology() {
    let mut call = looking_up();
    call.send_at(Duration::from_secs(7), silence())
        .is(&["say:lookup_wait", "listen:8000"], &[WAIT]);
    call.send_at(Duration::from_secs(15), silence()).is(
        &[
            "say:hold_resume",
            "say:bill_unavailable",
            "say:anything_else",
            LISTEN,
        ],
        &[HOLD_RESUME, UNAVAILABLE, ANYTHING_ELSE],
    );
    // The late answer changes nothing.
    call.send(bill(true, Some("58.50"))).is(&[], &[]);
}

#[test]
fn words_during_a_lookup_wait_for_it_except_the_agent_number() {
    let mut call = looking_up();
    call.send_at(Duration::from_secs(6), words("好的"))
        .is(&[], &[]);
    call.send_at(Duration::from_secs(6), words("你的工号是多少"))
        .is(&["say:agent_number", "listen:1000"], &[AGENT_NUMBER]);
    assert_eq!(call.at(), ("looking_up", Some("bill")));
}
