//! Issue 25: callers end calls in their own words (没事了, 就这样吧,
//! "that's all"), and after our goodbye their own 再见 or thanks leaves it
//! the last word: no re-ask, no "anything else", no no-sound goodbye (N5,
//! N12). Every line in zh-CN, zh-TW and en, with the exact wording heard.

use super::{Call, EndReason, Event, LISTEN, silence, words};
use crate::calendar::DayPart;

/// One locale's wording and what its callers say.
struct Lang {
    code: &'static str,
    opening: &'static str,
    bill: &'static str,
    anything_else: &'static str,
    goodbye: &'static str,
    consent: &'static str,
    declined: &'static str,
    /// Closings at "anything else?", each alone the caller's "no more".
    closings: [&'static str; 5],
    /// After our goodbye: nothing new for any of these.
    after_goodbye: [&'static str; 4],
    /// A real request after our goodbye: the bill.
    bill_please: &'static str,
    /// Say again, right after the bill.
    how_much_again: &'static str,
}

const ZH_CN: Lang = Lang {
    code: "zh-CN",
    opening: "您好,XX欢迎您的来电,请问有什么可以帮您?",
    bill: "您本月话费58.50元。",
    anything_else: "您还需要别的帮助吗?",
    goodbye: "谢谢您,祝您愉快!再见。",
    consent: "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?",
    declined: "好的,那我继续为您服务,请问还有什么可以帮您?",
    closings: [
        "没事了",
        "就这样吧",
        "好的谢谢拜拜",
        "没别的了",
        "好的,谢谢,再见",
    ],
    after_goodbye: ["再见", "拜拜", "好的谢谢", "嗯"],
    bill_please: "等一下,话费是多少",
    how_much_again: "刚才说多少?没听清",
};

const ZH_TW: Lang = Lang {
    code: "zh-TW",
    opening: "您好,XX歡迎您的來電,請問有什麼可以幫您?",
    bill: "您本月話費58.50元。",
    anything_else: "您還需要別的幫助嗎?",
    goodbye: "謝謝您,祝您愉快!再見。",
    consent: "為了更好地解決您的問題,我為您轉接到人工客服,請問可以嗎?",
    declined: "好的,那我繼續為您服務,請問還有什麼可以幫您?",
    closings: [
        "沒事了",
        "就這樣吧",
        "好的謝謝拜拜",
        "沒別的了",
        "好的,謝謝,再見",
    ],
    after_goodbye: ["再見", "掰掰", "好的謝謝", "嗯"],
    bill_please: "等一下,話費是多少",
    how_much_again: "剛才說多少?沒聽清",
};

const EN: Lang = Lang {
    code: "en",
    opening: "Hello, welcome to XX. How may I help you?",
    bill: "Your bill this month is 58.50 yuan.",
    anything_else: "Is there anything else I can help you with?",
    goodbye: "Thank you, have a nice day! Goodbye.",
    consent: "To solve your problem better, I will transfer you to an agent. Is that all right?",
    declined: "All right, I will keep helping you myself. What else can I do for you?",
    closings: [
        "that's all",
        "bye",
        "ok thanks bye",
        "no thanks that's it",
        "goodbye",
    ],
    after_goodbye: ["bye", "goodbye", "thanks", "ok"],
    bill_please: "wait, what's my bill",
    how_much_again: "sorry, say that again",
};

const LANGS: [Lang; 3] = [ZH_CN, ZH_TW, EN];

fn call(lang: &Lang) -> Call {
    let (call, opening) = Call::start(lang.code, DayPart::Afternoon);
    opening.is(&["say:opening", LISTEN], &[lang.opening]);
    call
}

/// The bill, then "anything else?".
fn at_close(lang: &Lang) -> Call {
    let mut call = call(lang);
    call.send(super::keys("3"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[lang.bill, lang.anything_else],
    );
    assert_eq!(call.at(), ("closing", Some("anything_else")));
    call
}

/// Our goodbye said at the close step.
fn after_our_goodbye(lang: &Lang, closing: &str) -> Call {
    let mut call = at_close(lang);
    call.send(words(closing))
        .is(&["say:goodbye", "listen:10000"], &[lang.goodbye]);
    assert_eq!(
        call.at(),
        ("awaiting_hangup", Some("anything_else")),
        "{closing}"
    );
    call
}

#[test]
fn a_closing_at_the_close_step_is_the_callers_no_more() {
    for lang in &LANGS {
        for closing in lang.closings {
            let mut call = after_our_goodbye(lang, closing);
            call.send(Event::CallerHangup).is(&[], &[]);
            call.assert_ended(EndReason::CallerHangup);
        }
    }
}

#[test]
fn a_goodbye_or_thanks_after_ours_gets_nothing_new_and_the_wait_runs_on() {
    for lang in &LANGS {
        let mut call = after_our_goodbye(lang, lang.closings[0]);
        for line in lang.after_goodbye {
            call.send(words(line)).is(&["listen:10000"], &[]);
            assert_eq!(
                call.at(),
                ("awaiting_hangup", Some("anything_else")),
                "{line}"
            );
        }
        call.send(Event::CallerHangup).is(&[], &[]);
        call.assert_ended(EndReason::CallerHangup);
    }
}

/// The worst case: the caller's 再见 reopened the call, and their
/// silence then heard 您的电话没有声音 and was hung up on as a silent call.
#[test]
fn goodbye_then_silence_is_the_line_left_open_never_the_no_sound_goodbye() {
    for lang in &LANGS {
        let mut call = after_our_goodbye(lang, lang.closings[1]);
        call.send(words(lang.after_goodbye[0]))
            .is(&["listen:10000"], &[]);
        call.send(silence()).is(&["hangup:line_left_open"], &[]);
        call.assert_ended(EndReason::LineLeftOpen);
    }
}

#[test]
fn a_real_request_after_our_goodbye_reopens_the_call() {
    for lang in &LANGS {
        let mut call = after_our_goodbye(lang, lang.closings[2]);
        call.send(words(lang.after_goodbye[1]))
            .is(&["listen:10000"], &[]);
        call.send(words(lang.bill_please))
            .is(&["lookup:bill", "listen:2000"], &[]);
    }
}

#[test]
fn a_goodbye_away_from_the_close_step_leads_to_the_closes_goodbye() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(words(lang.closings[0]))
            .is(&["say:goodbye", "listen:10000"], &[lang.goodbye]);
        assert_eq!(call.at(), ("awaiting_hangup", Some("anything_else")));
        call.send(words(lang.after_goodbye[0]))
            .is(&["listen:10000"], &[]);
        call.send(Event::CallerHangup).is(&[], &[]);
        call.assert_ended(EndReason::CallerHangup);
    }
}

/// At a consent question a goodbye declines: the caller is not transferred.
#[test]
fn a_goodbye_at_the_transfer_question_is_a_no() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(super::keys("0"))
            .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
        call.send(words(lang.closings[1]))
            .is(&["say:transfer_declined", LISTEN], &[lang.declined]);
        assert_eq!(call.at(), ("listening", Some("welcome")));
    }
}

#[test]
fn say_again_right_after_the_bill_repeats_the_amount_then_the_question() {
    for lang in &LANGS {
        let mut call = at_close(lang);
        for _ in 0..2 {
            call.send(words(lang.how_much_again)).is(
                &["say:bill_answer", "say:anything_else", LISTEN],
                &[lang.bill, lang.anything_else],
            );
            assert_eq!(call.at(), ("closing", Some("anything_else")));
        }
        call.send(words(lang.closings[3]))
            .is(&["say:goodbye", "listen:10000"], &[lang.goodbye]);
    }
}
