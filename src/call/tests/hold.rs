//! N11 holds: only a reported result ends a hold; the promise (hold_ms) is
//! kept with an apology, a new estimate and a callback offer; the caller's
//! words during the hold are answered and the hold goes on.

use std::time::Duration;

use super::*;

const PROGRESS: &str = "您的业务正在处理中,大约还需要一分钟,请您稍候。";
const OVERDUE: &str = "非常抱歉让您久等了,您的业务还在处理中,大约还需要一分钟。我先处理一下这个问题,稍候处理好我给您回电话,可以吗?";
const PLAN_FAILED: &str = "非常抱歉,您的套餐暂时没能办理成功,我们会尽快为您处理。";
const PLAN_CALLBACK: &str = "好的,处理好后我们会在两小时内给您回电话,请您保持电话畅通。";

/// A zh-CN call holding in `change_plan` since 10 s into the call.
fn on_hold() -> Call {
    let mut call = Call::zh_cn();
    call.send_at(Duration::from_secs(5), words("我想办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    call.send_at(Duration::from_secs(10), words("可以"))
        .is(&["say:hold_thanks", "listen:60000"], &[HOLD_THANKS]);
    assert_eq!(call.at(), ("on_hold", Some("change_plan")));
    call
}

fn hold_result(ok: bool) -> Event {
    Event::HoldResult {
        ok,
        variables: Default::default(),
    }
}

#[test]
fn a_hold_resumed_by_an_ok_result_apologises_then_says_it_is_done() {
    let mut call = on_hold();
    // Hold music hides the caller's audio.
    call.send(weak()).is(&[], &[]);
    call.send_at(Duration::from_secs(40), hold_result(true)).is(
        &[
            "say:hold_resume",
            "say:hold_result",
            "say:anything_else",
            LISTEN,
        ],
        &[HOLD_RESUME, HOLD_RESULT, ANYTHING_ELSE],
    );
    assert_eq!(call.at(), ("closing", Some("anything_else")));
}

#[test]
fn a_failed_hold_result_apologises_and_never_claims_success() {
    let mut call = on_hold();
    call.send_at(Duration::from_secs(40), hold_result(false))
        .is(
            &[
                "say:hold_resume",
                "say:plan_failed",
                "say:anything_else",
                LISTEN,
            ],
            &[HOLD_RESUME, PLAN_FAILED, ANYTHING_ELSE],
        );
}

#[test]
fn a_hold_that_outlasts_its_promise_apologises_with_the_estimate_and_offers_a_callback() {
    let mut call = on_hold();
    // The promised minute passes with no result: no success is claimed.
    call.send_at(Duration::from_secs(70), silence())
        .is(&["say:hold_overdue", "listen:60000"], &[OVERDUE]);
    assert_eq!(call.at(), ("on_hold", Some("change_plan")));
    // Declining the callback: the estimate, and the hold goes on for what
    // is left of it.
    call.send_at(Duration::from_secs(80), words("不用"))
        .is(&["say:hold_progress", "listen:50000"], &[PROGRESS]);
    // Another minute: asked again.
    call.send_at(Duration::from_secs(130), silence())
        .is(&["say:hold_overdue", "listen:60000"], &[OVERDUE]);
    // Taking it: the apology for the wait, then the callback step.
    call.send_at(Duration::from_secs(135), words("好的")).is(
        &[
            "say:hold_resume",
            "say:plan_callback",
            "say:anything_else",
            LISTEN,
        ],
        &[HOLD_RESUME, PLAN_CALLBACK, ANYTHING_ELSE],
    );
}

#[test]
fn how_long_during_the_hold_hears_the_estimate_and_the_hold_goes_on() {
    let mut call = on_hold();
    call.send_at(Duration::from_secs(30), words("还要多久"))
        .is(&["say:hold_progress", "listen:40000"], &[PROGRESS]);
    assert_eq!(call.at(), ("on_hold", Some("change_plan")));
    // A new estimate from the back office is what the caller hears next.
    call.send(Event::Data {
        variables: [("hold_estimate".to_owned(), "五分钟".to_owned())].into(),
    })
    .is(&[], &[]);
    call.send_at(Duration::from_secs(35), words("还要多久")).is(
        &["say:hold_progress", "listen:35000"],
        &["您的业务正在处理中,大约还需要五分钟,请您稍候。"],
    );
}

#[test]
fn the_agent_number_during_the_hold_is_said_and_the_hold_goes_on() {
    let mut call = on_hold();
    call.send_at(Duration::from_secs(20), words("你的工号是多少"))
        .is(&["say:agent_number", "listen:50000"], &[AGENT_NUMBER]);
    assert_eq!(call.at(), ("on_hold", Some("change_plan")));
}

#[test]
fn asking_for_a_person_during_the_hold_asks_consent_for_the_transfer() {
    let mut call = on_hold();
    call.send_at(Duration::from_secs(20), words("转人工")).is(
        &["say:hold_resume", "say:transfer_consent", LISTEN],
        &[HOLD_RESUME, CONSENT],
    );
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
    // The late result of the abandoned hold changes nothing.
    call.send(hold_result(true)).is(&[], &[]);
}

#[test]
fn a_hold_in_en_resumes_on_its_result() {
    let (mut call, _) = Call::start("en", DayPart::Morning);
    call.send(words("I'd like to change my plan")).is(
        &["say:hold_ask", LISTEN],
        &["I need to look that up for you. May I put you on hold for a moment?"],
    );
    call.send(words("sure")).is(
        &["say:hold_thanks", "listen:60000"],
        &["Thank you. It will take about a minute; please hold."],
    );
    call.send(words("how much longer")).is(
        &["say:hold_progress", "listen:60000"],
        &["Your request is being processed and needs about a minute more. Please hold on."],
    );
    call.send(hold_result(true)).is(
        &[
            "say:hold_resume",
            "say:hold_result",
            "say:anything_else",
            LISTEN,
        ],
        &[
            "Sorry to have kept you waiting.",
            "Your request has been completed.",
            "Is there anything else I can help you with?",
        ],
    );
}
