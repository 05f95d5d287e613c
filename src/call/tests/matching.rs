//! What the caller's words match (the longest phrase wins), words not
//! understood, and a hang-up in any phase.

use super::*;

#[test]
fn longest_phrase_wins_in_yes_no() {
    for (answer, agreed) in [
        ("可以", true),
        ("不可以", false),
        ("是的", true),
        ("不是", false),
        ("好", true),
        ("不好", false),
        ("行", true),
        ("不行", false),
    ] {
        let mut call = Call::zh_cn();
        ask_for_agent(&mut call);
        let turn = call.send(words(answer));
        if agreed {
            turn.is(&[TRANSFER], &[]);
        } else {
            turn.is(&["say:transfer_declined", LISTEN], &[DECLINED]);
        }
    }
}

#[test]
fn words_not_understood_are_asked_again_not_filed_as_a_request() {
    let mut call = Call::zh_cn();
    call.send(words("我的宽带坏了"))
        .is(&["say:not_understood", LISTEN], &[NOT_UNDERSTOOD]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
}

#[test]
fn caller_hangup_ends_any_phase() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(Event::CallerHangup).is(&[], &[]);
    call.assert_ended(EndReason::CallerHangup);

    let mut call = Call::zh_cn();
    until_switch_phone(&mut call);
    call.send(Event::CallerHangup).is(&[], &[]);
    call.assert_ended(EndReason::CallerHangup);
}
