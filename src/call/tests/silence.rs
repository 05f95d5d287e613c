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
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
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
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}
