//! N12 and N15: the closing question, the goodbye, and the caller hanging up
//! first.

use super::*;

#[test]
fn closing_no_says_goodbye_and_waits_for_the_caller() {
    let mut call = Call::zh_cn();
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    call.send(words("没有了,谢谢"))
        .is(&["say:goodbye", "listen:10000"], &[GOODBYE]);
    assert_eq!(call.at(), ("awaiting_hangup", Some("anything_else")));
    call.send(Event::CallerHangup).is(&[], &[]);
    call.assert_ended(EndReason::CallerHangup);
}

#[test]
fn closing_line_left_open_is_hung_up() {
    let mut call = Call::zh_cn();
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    call.send(silence())
        .is(&["say:goodbye", "listen:10000"], &[GOODBYE]);
    call.send(silence()).is(&["hangup:line_left_open"], &[]);
    call.assert_ended(EndReason::LineLeftOpen);
}

/// Found by the property test: mumbling after the goodbye used to get the
/// speak-up prompt, and the line-left-open hang-up then followed it with no
/// goodbye. The goodbye stays the last word (N12, N15).
#[test]
fn mumbling_after_the_goodbye_leaves_the_goodbye_the_last_word() {
    let mut call = Call::zh_cn();
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    call.send(silence())
        .is(&["say:goodbye", "listen:10000"], &[GOODBYE]);
    call.send(mumble("嗯嗯")).is(&["listen:10000"], &[]);
    call.send(mumble("啊")).is(&["listen:10000"], &[]);
    assert_eq!(call.at(), ("awaiting_hangup", Some("anything_else")));
    call.send(silence()).is(&["hangup:line_left_open"], &[]);
    call.assert_ended(EndReason::LineLeftOpen);
}

#[test]
fn closing_yes_and_new_requests_keep_helping() {
    let mut call = Call::zh_cn();
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    call.send(words("还要办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);

    let mut call = Call::zh_cn();
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    call.send(words("不需要"))
        .is(&["say:goodbye", "listen:10000"], &[GOODBYE]);
    // Speaking after the goodbye: we help again rather than hang up.
    call.send(words("等一下,话费是多少"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    assert_eq!(call.at(), ("closing", Some("anything_else")));
}

#[test]
fn closing_in_en() {
    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    call.send(words("my bill please"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[
            "Your bill this month is 58.50 yuan.",
            "Is there anything else I can help you with?",
        ],
    );
    call.send(words("nothing else")).is(
        &["say:goodbye", "listen:10000"],
        &["Thank you, have a nice day! Goodbye."],
    );
    call.send(Event::CallerHangup).is(&[], &[]);
    call.assert_ended(EndReason::CallerHangup);
}
