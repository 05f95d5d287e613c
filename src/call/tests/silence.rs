//! N5: a silent caller hears three prompts 5 s apart before the goodbye, and
//! anything the caller does (words, keys, even unclear audio) starts the
//! count again.

use super::*;

#[test]
fn silent_call_hears_exactly_three_prompts_then_hangup() {
    let mut call = Call::zh_cn();
    assert_eq!(call.at(), ("listening", Some("welcome")));
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
    // Nothing changes an ended call.
    call.send(words("喂")).is(&[], &[]);
    call.send(Event::CallerHangup).is(&[], &[]);
    call.assert_ended(EndReason::Silence);
}

#[test]
fn speech_resets_the_silence_count() {
    let mut call = Call::zh_cn();
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(words("你好")).is(
        &["say:greeting_reply_afternoon", LISTEN],
        &["下午好,请问有什么可以帮您?"],
    );
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence()).is(
        &["say:silence_goodbye_spoken", LISTEN],
        &[SILENCE_GOODBYE_SPOKEN],
    );
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

#[test]
fn keys_reset_the_silence_count() {
    let mut call = Call::zh_cn();
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(keys("0"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(silence())
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

/// A caller we asked to speak up is not a silent caller: the silence count
/// starts again rather than hanging up without the silence goodbye.
#[test]
fn unclear_audio_resets_the_silence_count() {
    let mut call = Call::zh_cn();
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(mumble("我要"))
        .is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence()).is(
        &["say:silence_goodbye_spoken", LISTEN],
        &[SILENCE_GOODBYE_SPOKEN],
    );
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

/// One locale's words for a caller who greets us, then says nothing.
struct Spoken {
    code: &'static str,
    hello: &'static str,
    hello_reply: &'static str,
    reprompt: &'static str,
    goodbye: &'static str,
}

const SPOKEN: [Spoken; 3] = [
    Spoken {
        code: "zh-CN",
        hello: "你好",
        hello_reply: "下午好,请问有什么可以帮您?",
        reprompt: REPROMPT,
        goodbye: SILENCE_GOODBYE_SPOKEN,
    },
    Spoken {
        code: "zh-TW",
        hello: "你好",
        hello_reply: "下午好,請問有什麼可以幫您?",
        reprompt: "您好!請問有什麼可以幫您?",
        goodbye: "非常抱歉,一直沒有聽到您的回覆,如您還需要幫助,歡迎再次來電,再見!",
    },
    Spoken {
        code: "en",
        hello: "hello",
        hello_reply: "Good afternoon, how may I help you?",
        reprompt: "Hello! How may I help you?",
        goodbye: "I'm very sorry, I haven't heard from you for a while. If you still need help, you are welcome to call again. Goodbye!",
    },
];

/// A caller who has spoken, then goes quiet at a question, keeps N5's
/// shape (the question, the reprompt, a goodbye, each after 5 s, and the
/// hang-up 5 s after the goodbye) but is never told that their phone has
/// no sound: it has (issue 25).
#[test]
fn a_caller_who_has_spoken_hears_a_goodbye_without_no_sound() {
    for l in &SPOKEN {
        let (mut call, _) = Call::start(l.code, crate::calendar::DayPart::Afternoon);
        call.send(words(l.hello))
            .is(&["say:greeting_reply_afternoon", LISTEN], &[l.hello_reply]);
        call.send(silence())
            .is(&["say:silence_reprompt", LISTEN], &[l.reprompt]);
        call.send(silence())
            .is(&["say:silence_goodbye_spoken", LISTEN], &[l.goodbye]);
        assert_eq!(call.at(), ("listening", Some("welcome")), "{}", l.code);
        call.send(silence()).is(&["hangup:silence"], &[]);
        call.assert_ended(EndReason::Silence);
    }
}

/// Unclear words are words too: the line has sound.
#[test]
fn a_caller_heard_only_unclearly_has_spoken_too() {
    let mut call = Call::zh_cn();
    call.send(mumble("我要"))
        .is(&["say:unclear", LISTEN], &[UNCLEAR]);
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence()).is(
        &["say:silence_goodbye_spoken", LISTEN],
        &[SILENCE_GOODBYE_SPOKEN],
    );
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

/// A flow words its own `silence_goodbye_spoken` (the outbound flow: we
/// call back), and one written before it gets the built-in wording.
#[test]
fn a_flows_own_silence_goodbye_spoken_wins_over_the_built_in_one() {
    let outbound = compile_source(
        "outbound.toml",
        include_str!("../../../flows/outbound.toml"),
    )
    .expect("the shipped outbound flow compiles");
    let own = outbound.prompt(outbound.roles().silence_goodbye_spoken);
    assert_eq!(
        &**own.text(0),
        "非常抱歉,一直没有听到您的回复,我们稍后再给您打过来,再见!"
    );
    let blocks = compile_source("blocks.toml", include_str!("blocks.toml"))
        .expect("the blocks test flow compiles");
    let built_in = blocks.prompt(blocks.roles().silence_goodbye_spoken);
    assert_eq!(&*built_in.id, "silence_goodbye_spoken");
    assert_eq!(&**built_in.text(0), SILENCE_GOODBYE_SPOKEN);
}

/// "Say again" after N5's goodbye: the caller is back, so the goodbye no
/// longer holds; they hear the question again, never 您的电话没有声音 a
/// second time (the property test found it).
#[test]
fn say_again_after_the_silence_goodbye_hears_the_question_not_the_goodbye() {
    let mut call = Call::zh_cn();
    call.send(silence())
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(words("什么?没听清"))
        .is(&["say:silence_reprompt", LISTEN], &[REPROMPT]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
}
