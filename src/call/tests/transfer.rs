//! N10 and N11: a transfer only with the caller's consent and a reason; a
//! hold only when the caller agrees.

use super::*;

#[test]
fn transfer_yes_transfers_with_target_and_reason() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(words("可以")).is(&[TRANSFER], &[]);
    assert_eq!(call.at(), ("transferring", Some("to_agent")));
    // The caller is in the queue now: nothing to answer.
    call.send(silence()).is(&[], &[]);
    call.send(words("喂")).is(&[], &[]);
    call.send(Event::transferred(true)).is(&[], &[]);
    call.assert_ended(EndReason::Transferred);
}

#[test]
fn transfer_no_returns_to_the_step_that_asked() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    // 不可以 holds 可以: the longer phrase wins.
    call.send(words("不可以"))
        .is(&["say:transfer_declined", LISTEN], &[DECLINED]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
    call.send(words("那查一下话费吧"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
}

#[test]
fn transfer_silence_asks_again_then_says_goodbye() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(silence())
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(silence()).is(
        &["say:silence_goodbye_spoken", LISTEN],
        &[SILENCE_GOODBYE_SPOKEN],
    );
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

#[test]
fn transfer_other_words_ask_consent_again() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(words("为什么"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    // N14: the agent number is given even while consent is pending.
    call.send(words("你的工号是多少")).is(
        &["say:agent_number", "say:transfer_consent", LISTEN],
        &[AGENT_NUMBER, CONSENT],
    );
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
    call.send(words("行")).is(&[TRANSFER], &[]);
}

#[test]
fn a_question_about_the_agent_is_no_consent() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    // Asking whether it is a person asks; it agrees to nothing (N10), and
    // gets an honest answer first (issue 25).
    call.send(words("是真人吗?")).is(
        &["say:assistant_reply", "say:transfer_consent", LISTEN],
        &[ASSISTANT, CONSENT],
    );
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
    call.send(words("转人工吗？"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(words("好的")).is(&[TRANSFER], &[]);
}

#[test]
fn transfer_failed_apologises_and_falls_back() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(words("好的")).is(&[TRANSFER], &[]);
    call.send(Event::transferred(false)).is(
        &["say:transfer_failed", "say:anything_else", LISTEN],
        &[FAILED, ANYTHING_ELSE],
    );
    assert_eq!(call.at(), ("closing", Some("anything_else")));
    assert_eq!(call.machine.ended(), None);
}

#[test]
fn agent_request_at_more_help_leads_to_consent() {
    let mut call = Call::zh_cn();
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    call.send(words("嗯"))
        .is(&["say:more_help", LISTEN], &[MORE_HELP]);
    assert_eq!(call.at(), ("listening", Some("more_help")));
    call.send(words("我要人工服务"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
    call.send(words("不要"))
        .is(&["say:transfer_declined", LISTEN], &[DECLINED]);
    assert_eq!(call.at(), ("listening", Some("more_help")));
}

#[test]
fn agent_request_at_closing_leads_to_consent() {
    let mut call = Call::zh_cn();
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    call.send(words("找人工"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(words("算了"))
        .is(&["say:transfer_declined", LISTEN], &[DECLINED]);
    assert_eq!(call.at(), ("listening", Some("more_help")));
}

#[test]
fn dtmf_keys_agent_yes_and_no() {
    let mut call = Call::zh_cn();
    call.send(keys("0"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(keys("2"))
        .is(&["say:transfer_declined", LISTEN], &[DECLINED]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
    call.send(keys("0"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(keys("1")).is(&[TRANSFER], &[]);
    assert_eq!(call.at(), ("transferring", Some("to_agent")));
}

#[test]
fn transfer_in_en() {
    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    call.send(words("Can I talk to an agent?")).is(
        &["say:transfer_consent", LISTEN],
        &["To solve your problem better, I will transfer you to an agent. Is that all right?"],
    );
    call.send(words("no thanks")).is(
        &["say:transfer_declined", LISTEN],
        &["All right, I will keep helping you myself. What else can I do for you?"],
    );
    assert_eq!(call.at(), ("listening", Some("welcome")));
    call.send(words("operator please")).is(
        &["say:transfer_consent", LISTEN],
        &["To solve your problem better, I will transfer you to an agent. Is that all right?"],
    );
    call.send(words("Yes, all right")).is(&[TRANSFER], &[]);
    call.send(Event::transferred(true)).is(&[], &[]);
    call.assert_ended(EndReason::Transferred);
}

#[test]
fn transfer_declined_in_zh_tw() {
    let (mut call, _) = Call::start("zh-TW", DayPart::Afternoon);
    call.send(words("轉人工")).is(
        &["say:transfer_consent", LISTEN],
        &["為了更好地解決您的問題,我為您轉接到人工客服,請問可以嗎?"],
    );
    call.send(words("不用了")).is(
        &["say:transfer_declined", LISTEN],
        &["好的,那我繼續為您服務,請問還有什麼可以幫您?"],
    );
    assert_eq!(call.at(), ("listening", Some("welcome")));
}

// === hold (N11) ===

#[test]
fn hold_no_goes_to_the_declined_step() {
    let mut call = Call::zh_cn();
    call.send(words("变更套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    call.send(words("不可以"))
        .is(&["lookup:ticket", "listen:2000"], &[]);
    call.answered("ticket", "ticket", "T20261201").is(
        &["say:request_recorded", "say:anything_else", LISTEN],
        &[RECORDED, ANYTHING_ELSE],
    );
    assert_eq!(call.at(), ("closing", Some("anything_else")));
}

#[test]
fn hold_silence_asks_again_then_says_goodbye() {
    let mut call = Call::zh_cn();
    call.send(words("办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    call.send(silence())
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    call.send(silence()).is(
        &["say:silence_goodbye_spoken", LISTEN],
        &[SILENCE_GOODBYE_SPOKEN],
    );
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}
