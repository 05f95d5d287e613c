//! N14 and N6: the agent's number whenever asked, and a caller's hello
//! answered for the time of day.

use super::*;

#[test]
fn agent_number_is_repeated_whenever_asked() {
    let mut call = Call::zh_cn();
    call.send(words("你的工号是多少"))
        .is(&["say:agent_number", LISTEN], &[AGENT_NUMBER]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
    call.send(words("再说一遍工号"))
        .is(&["say:agent_number", LISTEN], &[AGENT_NUMBER]);
    call.send(words("你是几号"))
        .is(&["say:agent_number", LISTEN], &[AGENT_NUMBER]);
    assert_eq!(call.at(), ("listening", Some("welcome")));

    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    // "agent number" outweighs "agent": no transfer question.
    call.send(words("What is your agent number?")).is(
        &["say:agent_number", LISTEN],
        &["My agent number is 1024. I'm glad to help you."],
    );
}

#[test]
fn agent_number_while_hold_is_asked() {
    let mut call = Call::zh_cn();
    call.send(words("办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    call.send(words("工号多少")).is(
        &["say:agent_number", "say:hold_ask", LISTEN],
        &[AGENT_NUMBER, HOLD_ASK],
    );
    assert_eq!(call.at(), ("confirming_hold", Some("change_plan")));
}

#[test]
fn caller_greeting_is_answered_by_day_part() {
    let (mut call, opening) = Call::start("zh-CN", DayPart::Morning);
    opening.is(&["say:opening_morning", LISTEN], &[OPENING_MORNING]);
    call.send(words("客服您好")).is(
        &["say:greeting_reply_morning", LISTEN],
        &["早上好,请问有什么可以帮您?"],
    );
    assert_eq!(call.at(), ("listening", Some("welcome")));

    let mut call = Call::zh_cn();
    call.send(words("小姐您好")).is(
        &["say:greeting_reply_afternoon", LISTEN],
        &["下午好,请问有什么可以帮您?"],
    );

    let (mut call, _) = Call::start("zh-CN", DayPart::Evening);
    call.send(words("你好")).is(
        &["say:greeting_reply_evening", LISTEN],
        &["晚上好,请问有什么可以帮您?"],
    );

    let (mut call, _) = Call::start("zh-TW", DayPart::Evening);
    call.send(words("先生您好")).is(
        &["say:greeting_reply_evening", LISTEN],
        &["晚上好,請問有什麼可以幫您?"],
    );

    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    call.send(words("Hi there")).is(
        &["say:greeting_reply_afternoon", LISTEN],
        &["Good afternoon, how may I help you?"],
    );
}

#[test]
fn greeting_with_a_request_routes_the_request() {
    let mut call = Call::zh_cn();
    call.send(words("你好,我想转人工"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
}
