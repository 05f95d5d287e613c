//! N7-N9: weak or unclear audio (asked to speak up, then to use another
//! phone, hung up only with consent), speakerphone (N8) and a language we
//! do not understand (N9).

use super::*;

/// N7 (seed 003: 稍停5秒,得到客户同意后方可挂机): with the caller's consent,
/// a goodbye, then 5 s for the caller to hang up first; only then do we.
#[test]
fn weak_audio_then_switch_phone_yes_says_goodbye_and_hangs_up_for_poor_audio() {
    let mut call = Call::zh_cn();
    until_switch_phone(&mut call);
    call.send(words("好的"))
        .is(&["say:polite_close", "listen:5000"], &[POLITE_CLOSE]);
    assert_eq!(call.machine.ended(), None);
    call.send(silence()).is(&["hangup:poor_audio"], &[]);
    call.assert_ended(EndReason::PoorAudio);
}

/// The caller who agreed to call again from another phone hangs up first,
/// as the norms want (N12).
#[test]
fn weak_audio_then_switch_phone_yes_lets_the_caller_hang_up_first() {
    let mut call = Call::zh_cn();
    until_switch_phone(&mut call);
    call.send(words("好的"))
        .is(&["say:polite_close", "listen:5000"], &[POLITE_CLOSE]);
    call.send(Event::CallerHangup).is(&[], &[]);
    call.assert_ended(EndReason::CallerHangup);
}

/// N7 (seed 003): hang up only with consent. Silence is no consent: the
/// question once more, then the silent-call path (N5) to its goodbye.
#[test]
fn weak_audio_then_switch_phone_silence_asks_once_more_then_follows_the_silence_path() {
    let mut call = Call::zh_cn();
    until_switch_phone(&mut call);
    call.send(silence())
        .is(&["say:switch_phone", LISTEN], &[SWITCH_PHONE]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    assert_eq!(call.machine.ended(), None);
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

#[test]
fn weak_audio_then_switch_phone_no_asks_the_step_again() {
    let mut call = Call::zh_cn();
    until_switch_phone(&mut call);
    call.send(words("不用了"))
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
    // Counting starts again: never hang up merely because the line is bad.
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    assert_eq!(call.machine.ended(), None);
}

#[test]
fn switch_phone_is_repeated_while_the_line_stays_bad() {
    let mut call = Call::zh_cn();
    until_switch_phone(&mut call);
    call.send(noisy())
        .is(&["say:switch_phone", "listen:5000"], &[SWITCH_PHONE]);
    call.send(mumble("好"))
        .is(&["say:switch_phone", "listen:5000"], &[SWITCH_PHONE]);
    assert_eq!(call.at(), ("confirming_switch", Some("welcome")));
    call.send(keys("1"))
        .is(&["say:polite_close", "listen:5000"], &[POLITE_CLOSE]);
    call.send(silence()).is(&["hangup:poor_audio"], &[]);
    call.assert_ended(EndReason::PoorAudio);
}

#[test]
fn clear_speech_midway_returns_to_the_interrupted_step() {
    let mut call = Call::zh_cn();
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(words("我想查一下账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    assert_eq!(call.at(), ("closing", Some("anything_else")));
    // Heard clearly: the count starts again.
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(weak())
        .is(&["say:switch_phone", "listen:5000"], &[SWITCH_PHONE]);
    assert_eq!(call.at(), ("confirming_switch", Some("anything_else")));
}

#[test]
fn clear_speech_after_switch_phone_routes_the_words() {
    let mut call = Call::zh_cn();
    until_switch_phone(&mut call);
    call.send(words("我要办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    assert_eq!(call.at(), ("confirming_hold", Some("change_plan")));
}

#[test]
fn unclear_audio_during_transfer_consent_returns_to_the_question() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    // "Speak louder, please?" is a question too: the consent question
    // follows, so the next yes answers the transfer.
    call.send(weak()).is(
        &["say:unclear", "say:transfer_consent", LISTEN],
        &[UNCLEAR, CONSENT],
    );
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
    call.send(words("可以")).is(&[TRANSFER], &[]);
    assert_eq!(call.at(), ("transferring", Some("to_agent")));
}

/// A yes after the silence goodbye answers no question we just asked: the
/// consent question comes again before any transfer (N10).
#[test]
fn a_yes_after_the_silence_goodbye_hears_the_consent_question_again() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(silence())
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(silence()).is(
        &["say:silence_goodbye_spoken", LISTEN],
        &[SILENCE_GOODBYE_SPOKEN],
    );
    call.send(words("可以"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(words("可以")).is(&[TRANSFER], &[]);
}

#[test]
fn low_confidence_speech_counts_as_unclear() {
    let mut call = Call::zh_cn();
    call.send(mumble("我要查账单"))
        .is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(mumble("账单"))
        .is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(words("  "))
        .is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(mumble("账单"))
        .is(&["say:switch_phone", "listen:5000"], &[SWITCH_PHONE]);
    // Low-confidence agreement is not agreement.
    call.send(mumble("好的"))
        .is(&["say:switch_phone", "listen:5000"], &[SWITCH_PHONE]);
    assert_eq!(call.machine.ended(), None);
}

#[test]
fn confidence_at_the_threshold_or_unreported_is_clear() {
    let mut call = Call::zh_cn();
    let at_threshold = Event::Speech {
        text: "查账单".into(),
        confidence: Some(0.5),
        intents: Vec::new(),
    };
    call.send(at_threshold)
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
    let unreported = Event::Speech {
        text: "好的".into(),
        confidence: None,
        intents: Vec::new(),
    };
    call.send(unreported)
        .is(&["say:more_help", LISTEN], &[MORE_HELP]);
}

#[test]
fn noisy_audio_counts_as_unclear() {
    let mut call = Call::zh_cn();
    call.send(noisy()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(noisy()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(noisy())
        .is(&["say:switch_phone", "listen:5000"], &[SWITCH_PHONE]);
    call.send(words("不行"))
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
}

#[test]
fn weak_audio_in_zh_tw() {
    let (mut call, opening) = Call::start("zh-TW", DayPart::Afternoon);
    opening.is(
        &["say:opening", LISTEN],
        &["您好,XX歡迎您的來電,請問有什麼可以幫您?"],
    );
    for _ in 0..3 {
        call.send(weak()).is(
            &["say:unclear", LISTEN],
            &["非常抱歉,我這邊聽不清楚,請您大聲一點,好嗎?"],
        );
    }
    call.send(weak()).is(
        &["say:switch_phone", "listen:5000"],
        &["對不起!您的電話聲音太小,我這邊聽不清楚,請您換一部電話再打過來,好嗎?"],
    );
    call.send(words("可以")).is(
        &["say:polite_close", "listen:5000"],
        &["非常抱歉給您帶來不便,感謝您的來電,再見!"],
    );
    call.send(silence()).is(&["hangup:poor_audio"], &[]);
    call.assert_ended(EndReason::PoorAudio);
}

#[test]
fn weak_audio_in_en() {
    let (mut call, opening) = Call::start("en", DayPart::Evening);
    opening.is(
        &["say:opening", LISTEN],
        &["Hello, welcome to XX. How may I help you?"],
    );
    for _ in 0..3 {
        call.send(weak()).is(
            &["say:unclear", LISTEN],
            &["I'm very sorry, I can't hear you clearly. Could you speak a little louder, please?"],
        );
    }
    call.send(weak()).is(
        &["say:switch_phone", "listen:5000"],
        &["I'm sorry! Your line is too quiet for me to hear you. Could you call again from another phone, please?"],
    );
    call.send(words("No, I know")).is(
        &["say:silence_reprompt", LISTEN],
        &["Hello! How may I help you?"],
    );
    assert_eq!(call.at(), ("listening", Some("welcome")));
}

// === speakerphone (N8) ===

#[test]
fn speakerphone_yes_asks_the_step_again() {
    let mut call = Call::zh_cn();
    call.send(Event::Audio(AudioKind::NoAudio))
        .is(&["say:pick_up_handset", LISTEN], &[PICK_UP]);
    assert_eq!(call.at(), ("checking_handset", Some("welcome")));
    call.send(words("拿起来了"))
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
}

#[test]
fn speakerphone_no_asks_to_pick_up_the_handset() {
    let mut call = Call::zh_cn();
    call.send(Event::Audio(AudioKind::NoAudio))
        .is(&["say:pick_up_handset", LISTEN], &[PICK_UP]);
    // "没拿起来" holds 拿起来 (yes) but means no: the longer phrase wins.
    call.send(words("没拿起来"))
        .is(&["say:speak_into_handset", LISTEN], &[SPEAK_INTO]);
    assert_eq!(call.at(), ("checking_handset", Some("welcome")));
    call.send(words("没有"))
        .is(&["say:speak_into_handset", LISTEN], &[SPEAK_INTO]);
    call.send(words("好了"))
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
}

#[test]
fn speakerphone_with_a_request_routes_it() {
    let mut call = Call::zh_cn();
    call.send(Event::Audio(AudioKind::NoAudio))
        .is(&["say:pick_up_handset", LISTEN], &[PICK_UP]);
    call.send(words("查账单"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
}

#[test]
fn speakerphone_silence_follows_the_silence_rules() {
    let mut call = Call::zh_cn();
    call.send(Event::Audio(AudioKind::NoAudio))
        .is(&["say:pick_up_handset", LISTEN], &[PICK_UP]);
    call.send(silence())
        .is(&["say:pick_up_handset", LISTEN], &[PICK_UP]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

#[test]
fn speakerphone_in_en() {
    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    call.send(Event::Audio(AudioKind::NoAudio)).is(
        &["say:pick_up_handset", LISTEN],
        &["I'm very sorry, I can't hear you. Have you picked up the handset?"],
    );
    call.send(words("no")).is(
        &["say:speak_into_handset", LISTEN],
        &["I can't hear you clearly. Could you pick up the handset and speak, please?"],
    );
    call.send(words("yes")).is(
        &["say:silence_reprompt", LISTEN],
        &["Hello! How may I help you?"],
    );
}

// === unknown language (N9) ===

#[test]
fn unknown_language_asks_for_the_locale_language() {
    for (locale, text) in [
        ("zh-CN", MANDARIN),
        ("zh-TW", "對不起,請您用普通話,好嗎?"),
        ("en", "Sorry, could you please speak English?"),
    ] {
        let (mut call, _) = Call::start(locale, DayPart::Afternoon);
        call.send(Event::Audio(AudioKind::UnknownLanguage))
            .is(&["say:mandarin", LISTEN], &[text]);
        assert_eq!(call.at(), ("listening", Some("welcome")), "{locale}");
    }
    let mut call = Call::zh_cn();
    call.send(Event::Audio(AudioKind::UnknownLanguage))
        .is(&["say:mandarin", LISTEN], &[MANDARIN]);
    call.send(words("话费"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[BILL, ANYTHING_ELSE],
    );
}
