//! Issue 25, N10 and N11: at the transfer's and the hold's consent
//! questions a question from the caller is never a yes or a no. How long
//! gets the estimate, are you a person an honest answer, any other question
//! the question again, within `consent_attempts`. zh-CN, zh-TW and en, with
//! the exact wording heard.

use super::{Call, LISTEN, keys, words};
use crate::calendar::DayPart;

struct Lang {
    code: &'static str,
    opening: &'static str,
    consent: &'static str,
    declined: &'static str,
    transfer_wait: &'static str,
    hold_ask: &'static str,
    hold_wait: &'static str,
    hold_thanks: &'static str,
    assistant: &'static str,
    how_long: [&'static str; 2],
    are_you_human: [&'static str; 3],
    /// Questions with a yes inside (可以吗?): no answer at all.
    other_questions: [&'static str; 3],
    yes: &'static str,
}

const ZH_CN: Lang = Lang {
    code: "zh-CN",
    opening: "您好,XX欢迎您的来电,请问有什么可以帮您?",
    consent: "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?",
    declined: "好的,那我继续为您服务,请问还有什么可以帮您?",
    transfer_wait: "人工客服目前大约需要等待两分钟。",
    hold_ask: "我需要为您查询一下,请您稍候,可以吗?",
    hold_wait: "查询大约需要一分钟。",
    hold_thanks: "谢谢,大约需要一分钟,请您稍候。",
    assistant: "您好,我是XX的智能语音助手,不是人工客服。",
    how_long: ["排队要多久?", "要等多久"],
    are_you_human: ["是真人吗?", "你是机器吗?", "你是不是机器人"],
    other_questions: ["可以吗?", "好的吗?", "为什么呢?"],
    yes: "好的",
};

const ZH_TW: Lang = Lang {
    code: "zh-TW",
    opening: "您好,XX歡迎您的來電,請問有什麼可以幫您?",
    consent: "為了更好地解決您的問題,我為您轉接到人工客服,請問可以嗎?",
    declined: "好的,那我繼續為您服務,請問還有什麼可以幫您?",
    transfer_wait: "人工客服目前大約需要等待兩分鐘。",
    hold_ask: "我需要為您查詢一下,請您稍候,可以嗎?",
    hold_wait: "查詢大約需要一分鐘。",
    hold_thanks: "謝謝,大約需要一分鐘,請您稍候。",
    assistant: "您好,我是XX的智慧語音助理,不是人工客服。",
    how_long: ["排隊要多久?", "要等多久"],
    are_you_human: ["是真人嗎?", "你是機器嗎?", "你是不是機器人"],
    other_questions: ["可以嗎?", "好的嗎?", "為什麼呢?"],
    yes: "好的",
};

const EN: Lang = Lang {
    code: "en",
    opening: "Hello, welcome to XX. How may I help you?",
    consent: "To solve your problem better, I will transfer you to an agent. Is that all right?",
    declined: "All right, I will keep helping you myself. What else can I do for you?",
    transfer_wait: "The wait for an agent is about two minutes right now.",
    hold_ask: "I need to look that up for you. May I put you on hold for a moment?",
    hold_wait: "It will take about a minute.",
    hold_thanks: "Thank you. It will take about a minute; please hold.",
    assistant: "I am the XX automated assistant, not a person.",
    how_long: ["how long?", "how long do I have to wait?"],
    are_you_human: [
        "are you a robot?",
        "am I talking to a person?",
        "is this a machine?",
    ],
    other_questions: ["is that ok?", "yes?", "why?"],
    yes: "yes",
};

const LANGS: [Lang; 3] = [ZH_CN, ZH_TW, EN];

fn call(lang: &Lang) -> Call {
    let (call, opening) = Call::start(lang.code, DayPart::Afternoon);
    opening.is(&["say:opening", LISTEN], &[lang.opening]);
    call
}

fn at_transfer(lang: &Lang) -> Call {
    let mut call = call(lang);
    call.send(keys("0"))
        .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
    call
}

fn at_hold(lang: &Lang) -> Call {
    let mut call = call(lang);
    call.send(keys("4"))
        .is(&["say:hold_ask", LISTEN], &[lang.hold_ask]);
    call
}

const TRANSFER: &str = "transfer:agent_queue:caller asked for an agent";

#[test]
fn how_long_at_the_transfer_question_hears_the_queues_estimate_then_the_question() {
    for lang in &LANGS {
        for line in lang.how_long {
            let mut call = at_transfer(lang);
            call.send(words(line)).is(
                &["say:transfer_wait", "say:transfer_consent", LISTEN],
                &[lang.transfer_wait, lang.consent],
            );
            assert_eq!(
                call.at(),
                ("confirming_transfer", Some("to_agent")),
                "{line}"
            );
            call.send(words(lang.yes)).is(&[TRANSFER], &[]);
        }
    }
}

#[test]
fn are_you_a_person_at_the_transfer_question_hears_the_truth_then_the_question() {
    for lang in &LANGS {
        for line in lang.are_you_human {
            let mut call = at_transfer(lang);
            call.send(words(line)).is(
                &["say:assistant_reply", "say:transfer_consent", LISTEN],
                &[lang.assistant, lang.consent],
            );
            assert_eq!(
                call.at(),
                ("confirming_transfer", Some("to_agent")),
                "{line}"
            );
            call.send(words(lang.yes)).is(&[TRANSFER], &[]);
        }
    }
}

#[test]
fn how_long_at_the_hold_question_hears_the_promise_then_the_question() {
    for lang in &LANGS {
        for line in lang.how_long {
            let mut call = at_hold(lang);
            call.send(words(line)).is(
                &["say:hold_wait", "say:hold_ask", LISTEN],
                &[lang.hold_wait, lang.hold_ask],
            );
            assert_eq!(
                call.at(),
                ("confirming_hold", Some("change_plan")),
                "{line}"
            );
            call.send(words(lang.yes))
                .is(&["say:hold_thanks", "listen:60000"], &[lang.hold_thanks]);
            assert_eq!(call.at(), ("on_hold", Some("change_plan")));
        }
    }
}

#[test]
fn are_you_a_person_at_the_hold_question_hears_the_truth_then_the_question() {
    for lang in &LANGS {
        let mut call = at_hold(lang);
        call.send(words(lang.are_you_human[0])).is(
            &["say:assistant_reply", "say:hold_ask", LISTEN],
            &[lang.assistant, lang.hold_ask],
        );
        assert_eq!(call.at(), ("confirming_hold", Some("change_plan")));
    }
}

/// Questions are no consent, however many: after `consent_attempts` (3)
/// answers that are not a yes or a no the question counts as declined.
#[test]
fn questions_never_consent_and_the_question_is_bounded() {
    for lang in &LANGS {
        let mut call = at_transfer(lang);
        for line in &lang.other_questions[..2] {
            call.send(words(line))
                .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
            assert_eq!(
                call.at(),
                ("confirming_transfer", Some("to_agent")),
                "{line}"
            );
        }
        call.send(words(lang.other_questions[2]))
            .is(&["say:transfer_declined", LISTEN], &[lang.declined]);
        assert_eq!(call.at(), ("listening", Some("welcome")));

        let mut call = at_hold(lang);
        call.send(words(lang.other_questions[0]))
            .is(&["say:hold_ask", LISTEN], &[lang.hold_ask]);
        assert_eq!(call.at(), ("confirming_hold", Some("change_plan")));
    }
}
