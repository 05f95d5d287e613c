//! Transcript tests for understanding callers (issue: a real matcher, no
//! phantom tickets, every loop bounded): every example a new user tried on
//! the shipped hotline, in zh-CN, zh-TW and en, with the exact words heard.

use super::{Call, LISTEN, keys, silence, words};
use crate::{
    calendar::DayPart,
    call::{AudioKind, EndReason, Event, NluIntent},
};

/// One locale's caller words and the service's exact wording.
struct Lang {
    code: &'static str,
    opening: &'static str,
    bill: &'static str,
    anything_else: &'static str,
    pick_up: &'static str,
    consent: &'static str,
    not_understood: &'static str,
    not_understood_again: &'static str,
    polite_close: &'static str,
    thanks_reply: &'static str,
    complaint_reply: &'static str,
    callback_reply: &'static str,
    nuisance_reply: &'static str,
    nuisance_goodbye: &'static str,
    mandarin: &'static str,
    // what callers say
    sorry_and_bill: &'static str,
    question_about_bill: &'static str,
    yes_and_bill: &'static str,
    yes_but_bill_first: &'static str,
    agent_requests: [&'static str; 3],
    hello_there: &'static str,
    say_again: &'static str,
    thank_you: &'static str,
    who_are_you: &'static str,
    complaint: &'static str,
    guess_who: &'static str,
    laughing: &'static str,
    call_me_back: &'static str,
    gibberish: &'static str,
}

const ZH_CN: Lang = Lang {
    code: "zh-CN",
    opening: "您好,XX欢迎您的来电,请问有什么可以帮您?",
    bill: "您本月话费58.50元。",
    anything_else: "您还需要别的帮助吗?",
    pick_up: "非常抱歉,我听不到您的声音,请问您是否已拿起话筒?",
    consent: "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?",
    not_understood: "非常抱歉,请您再说一遍您需要办理的业务,好吗?",
    not_understood_again: "不好意思,我还是没能明白您的需求。您可以说查话费、办理套餐或者转人工,好吗?",
    polite_close: "非常抱歉给您带来不便,感谢您的来电,再见!",
    thanks_reply: "不客气,这是我们应该做的。请问还有什么可以帮您?",
    complaint_reply: "非常抱歉给您带来不便!我马上为您登记。",
    callback_reply: "好的,我们会在两小时内给您回电话,请您保持电话畅通。请问还有什么可以帮您?",
    nuisance_reply: "您好,这里是XX客服中心,如果您有需要办理的业务,请您直接告诉我,好吗?",
    nuisance_goodbye: "感谢您的来电,如果没有需要办理的业务,我先挂机了,再见!",
    mandarin: "对不起,请您用普通话,好吗?",
    sorry_and_bill: "不好意思,我还想问一下话费",
    question_about_bill: "是不是还能查话费",
    yes_and_bill: "好的,我要查话费",
    yes_but_bill_first: "可以,不过我先查一下账单",
    agent_requests: ["转人工", "我要转人工", "人工服务"],
    hello_there: "喂?",
    say_again: "什么?没听清",
    thank_you: "谢谢你",
    who_are_you: "你是哪位",
    complaint: "我要投诉你们,服务太差了",
    guess_who: "你猜我是谁",
    laughing: "哈哈哈",
    call_me_back: "你们晚点给我回电话吧",
    gibberish: "巴拉巴拉",
};

const ZH_TW: Lang = Lang {
    code: "zh-TW",
    opening: "您好,XX歡迎您的來電,請問有什麼可以幫您?",
    bill: "您本月話費58.50元。",
    anything_else: "您還需要別的幫助嗎?",
    pick_up: "非常抱歉,我聽不到您的聲音,請問您是否已拿起話筒?",
    consent: "為了更好地解決您的問題,我為您轉接到人工客服,請問可以嗎?",
    not_understood: "非常抱歉,請您再說一遍您需要辦理的業務,好嗎?",
    not_understood_again: "不好意思,我還是沒能明白您的需求。您可以說查話費、辦理套餐或者轉人工,好嗎?",
    polite_close: "非常抱歉給您帶來不便,感謝您的來電,再見!",
    thanks_reply: "不客氣,這是我們應該做的。請問還有什麼可以幫您?",
    complaint_reply: "非常抱歉給您帶來不便!我馬上為您登記。",
    callback_reply: "好的,我們會在兩小時內給您回電話,請您保持電話暢通。請問還有什麼可以幫您?",
    nuisance_reply: "您好,這裡是XX客服中心,如果您有需要辦理的業務,請您直接告訴我,好嗎?",
    nuisance_goodbye: "感謝您的來電,如果沒有需要辦理的業務,我先掛機了,再見!",
    mandarin: "對不起,請您用普通話,好嗎?",
    sorry_and_bill: "不好意思,我還想問一下話費",
    question_about_bill: "是不是還能查話費",
    yes_and_bill: "好的,我要查話費",
    yes_but_bill_first: "可以,不過我先查一下賬單",
    agent_requests: ["轉人工", "我要轉人工", "人工服務"],
    hello_there: "喂?",
    say_again: "什麼?沒聽清",
    thank_you: "謝謝你",
    who_are_you: "你是哪位",
    complaint: "我要投訴你們,服務太差了",
    guess_who: "你猜我是誰",
    laughing: "哈哈哈",
    call_me_back: "你們晚點給我回電話吧",
    gibberish: "巴拉巴拉",
};

const EN: Lang = Lang {
    code: "en",
    opening: "Hello, welcome to XX. How may I help you?",
    bill: "Your bill this month is 58.50 yuan.",
    anything_else: "Is there anything else I can help you with?",
    pick_up: "I'm very sorry, I can't hear you. Have you picked up the handset?",
    consent: "To solve your problem better, I will transfer you to an agent. Is that all right?",
    not_understood: "I'm sorry, could you tell me once more what you need?",
    not_understood_again: "Sorry, I still didn't catch what you need. You can say check my bill, change my plan, or agent.",
    polite_close: "I'm sorry for the trouble. Thank you for calling, goodbye!",
    thanks_reply: "You're welcome, it's our pleasure. Is there anything else I can help you with?",
    complaint_reply: "I'm very sorry for the trouble. Let me record your complaint right away.",
    callback_reply: "Certainly. We will call you back within two hours; please keep your phone available. Is there anything else I can help you with?",
    nuisance_reply: "Hello, this is the XX service centre. If there is something I can help you with, please tell me.",
    nuisance_goodbye: "Thank you for calling. As there is nothing I can help you with, I will end the call now. Goodbye!",
    mandarin: "Sorry, could you please speak English?",
    sorry_and_bill: "Sorry, I also wanted to ask about my bill",
    question_about_bill: "is it still possible to check my bill",
    yes_and_bill: "Yes, I want my bill",
    yes_but_bill_first: "OK, but first my bill",
    agent_requests: ["agent", "I want an agent", "a real person please"],
    hello_there: "Hello? Are you there?",
    say_again: "Pardon? Say that again",
    thank_you: "Thank you",
    who_are_you: "who is this",
    complaint: "I want to make a complaint, terrible service",
    guess_who: "guess who",
    laughing: "hahaha",
    call_me_back: "please call me back later",
    gibberish: "blah blah blah",
};

const LANGS: [Lang; 3] = [ZH_CN, ZH_TW, EN];

fn call(lang: &Lang) -> Call {
    let (call, opening) = Call::start(lang.code, DayPart::Afternoon);
    opening.is(&["say:opening", LISTEN], &[lang.opening]);
    call
}

/// At "anything else?".
fn at_closing(lang: &Lang) -> Call {
    let mut call = call(lang);
    call.send(keys("3"))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[lang.bill, lang.anything_else],
    );
    assert_eq!(call.at(), ("closing", Some("anything_else")));
    call
}

const TRANSFER_WITH_BILL: &str =
    "transfer:agent_queue:caller asked for an agent; also asked about: bill";

#[test]
fn a_polite_word_with_a_no_word_inside_is_not_a_no() {
    for lang in &LANGS {
        let mut call = at_closing(lang);
        call.send(words(lang.sorry_and_bill))
            .is(&["lookup:bill", "listen:2000"], &[]);
        call.answered("bill", "amount", "58.50").is(
            &["say:bill_answer", "say:anything_else", LISTEN],
            &[lang.bill, lang.anything_else],
        );
    }
}

#[test]
fn a_question_with_a_yes_word_inside_is_not_a_yes() {
    for lang in &LANGS {
        let mut call = at_closing(lang);
        call.send(words(lang.question_about_bill))
            .is(&["lookup:bill", "listen:2000"], &[]);
        call.answered("bill", "amount", "58.50").is(
            &["say:bill_answer", "say:anything_else", LISTEN],
            &[lang.bill, lang.anything_else],
        );
    }
}

#[test]
fn yes_at_the_handset_question_then_the_request_is_handled() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(Event::Audio(AudioKind::NoAudio))
            .is(&["say:pick_up_handset", LISTEN], &[lang.pick_up]);
        call.send(words(lang.yes_and_bill))
            .is(&["lookup:bill", "listen:2000"], &[]);
        assert_eq!(call.machine.understood().len(), 2, "{}", lang.code);
        call.answered("bill", "amount", "58.50").is(
            &["say:bill_answer", "say:anything_else", LISTEN],
            &[lang.bill, lang.anything_else],
        );
    }
}

#[test]
fn yes_at_the_transfer_question_takes_the_request_along() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(keys("0"))
            .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
        call.send(words(lang.yes_but_bill_first))
            .is(&[TRANSFER_WITH_BILL], &[]);
        assert_eq!(call.at(), ("transferring", Some("to_agent")));
    }
}

#[test]
fn asking_for_a_person_at_the_consent_question_is_a_yes() {
    for lang in &LANGS {
        let answers = lang
            .agent_requests
            .iter()
            .map(|w| words(w))
            .chain([keys("0")]);
        for answer in answers {
            let mut call = call(lang);
            call.send(keys("0"))
                .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
            call.send(answer.clone())
                .is(&["transfer:agent_queue:caller asked for an agent"], &[]);
            assert_eq!(call.at(), ("transferring", Some("to_agent")), "{answer:?}");
        }
    }
}

#[test]
fn are_you_there_and_say_again_repeat_the_last_prompt() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(words(lang.hello_there))
            .is(&["say:opening", LISTEN], &[lang.opening]);
        // Right after the bill, "say again" is about the bill: the amount,
        // then the question (issue 25; it used to be the question alone).
        let mut call = at_closing(lang);
        call.send(words(lang.say_again)).is(
            &["say:bill_answer", "say:anything_else", LISTEN],
            &[lang.bill, lang.anything_else],
        );
        assert_eq!(call.at(), ("closing", Some("anything_else")));
    }
}

#[test]
fn thanks_get_a_modest_thank_you_not_a_ticket() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(words(lang.thank_you))
            .is(&["say:thanks_reply", LISTEN], &[lang.thanks_reply]);
        assert_eq!(call.at(), ("listening", Some("welcome")));
    }
}

#[test]
fn words_nobody_understands_are_asked_again_then_a_person_is_offered() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(words(lang.who_are_you))
            .is(&["say:not_understood", LISTEN], &[lang.not_understood]);
        call.send(words(lang.gibberish)).is(
            &["say:not_understood_again", LISTEN],
            &[lang.not_understood_again],
        );
        call.send(words(lang.gibberish))
            .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
        assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
    }
}

#[test]
fn a_complaint_gets_an_apology_a_record_and_a_reply_within_three_days() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(words(lang.complaint)).is(
            &["say:complaint_reply", "lookup:ticket", "listen:2000"],
            &[lang.complaint_reply],
        );
        // The front-end files it: the ticket number and the reply's time.
        let t = call.answered("ticket", "ticket", "T20261201");
        assert_eq!(
            t.actions,
            ["say:complaint_recorded", "say:anything_else", LISTEN]
        );
        assert!(t.said[0].contains("T20261201"), "{}", t.said[0]);
        assert!(
            ["三天内", "三天內", "within three days"]
                .iter()
                .any(|w| t.said[0].contains(w)),
            "{}",
            t.said[0]
        );
    }
}

#[test]
fn a_callback_request_hears_when() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(words(lang.call_me_back))
            .is(&["say:callback_reply", LISTEN], &[lang.callback_reply]);
    }
}

#[test]
fn a_nuisance_caller_hears_the_norm_then_a_goodbye_and_a_timely_hang_up() {
    for lang in &LANGS {
        let mut call = call(lang);
        call.send(words(lang.guess_who))
            .is(&["say:nuisance_reply", LISTEN], &[lang.nuisance_reply]);
        call.send(words(lang.laughing)).is(
            &["say:nuisance_goodbye", "listen:10000"],
            &[lang.nuisance_goodbye],
        );
        // Not at once (the caller may hang up first), and not never.
        assert_eq!(call.machine.ended(), None);
        // More laughter gets nothing new; the wait starts again from it.
        call.send(words(lang.laughing)).is(&["listen:10000"], &[]);
        call.send(silence()).is(&["hangup:line_left_open"], &[]);
        call.assert_ended(EndReason::LineLeftOpen);
    }
}

#[test]
fn sixty_unrecognised_answers_end_the_call_politely() {
    for lang in &LANGS {
        let mut call = call(lang);
        let mut said = Vec::new();
        for _ in 0..60 {
            let turn = call.send(words(lang.gibberish));
            said.extend(turn.said);
        }
        assert!(
            said.iter().any(|s| s == lang.consent),
            "a person was offered"
        );
        assert_eq!(said.last().map(String::as_str), Some(lang.polite_close));
        call.send(silence()).is(&["hangup:line_left_open"], &[]);
        call.assert_ended(EndReason::LineLeftOpen);
    }
}

#[test]
fn silence_and_gibberish_alternating_still_end() {
    for lang in &LANGS {
        let mut call = call(lang);
        for _ in 0..60 {
            call.send(silence());
            call.send(words(lang.gibberish));
        }
        call.send(silence());
        assert!(
            call.machine.ended().is_some(),
            "{}: {:?}",
            lang.code,
            call.at()
        );
    }
}

#[test]
fn an_unknown_language_is_asked_for_twice_then_a_person_is_offered() {
    for lang in &LANGS {
        let mut call = call(lang);
        let other = || Event::Audio(AudioKind::UnknownLanguage);
        call.send(other())
            .is(&["say:mandarin", LISTEN], &[lang.mandarin]);
        call.send(other())
            .is(&["say:mandarin", LISTEN], &[lang.mandarin]);
        call.send(other())
            .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
        // And for ever after, the call still ends.
        for _ in 0..60 {
            call.send(other());
        }
        call.send(silence());
        assert!(
            call.machine.ended().is_some(),
            "{}: {:?}",
            lang.code,
            call.at()
        );
    }
}

#[test]
fn the_front_ends_own_understanding_wins_above_the_threshold() {
    let mut call = call(&ZH_CN);
    let nlu = |name: &str, confidence: f32| Event::Speech {
        text: "巴拉巴拉".into(),
        confidence: None,
        intents: vec![NluIntent {
            name: name.into(),
            confidence,
        }],
    };
    // Too unsure: the words decide, and they say nothing known.
    call.send(nlu("bill", 0.5))
        .is(&["say:not_understood", LISTEN], &[ZH_CN.not_understood]);
    call.send(nlu("bill", 0.9))
        .is(&["lookup:bill", "listen:2000"], &[]);
    assert_eq!(
        call.machine
            .understood()
            .iter()
            .map(|s| &**s)
            .collect::<Vec<_>>(),
        ["bill"]
    );
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[ZH_CN.bill, ZH_CN.anything_else],
    );
}

#[test]
fn the_call_closes_with_a_goodbye_at_its_time_limit() {
    use std::time::Duration;
    let mut call = call(&ZH_CN);
    let mut out = Vec::new();
    // Listens never run past the limit, so the timer fires by then.
    call.machine.handle_at(
        Duration::from_secs(30 * 60 - 2),
        &words("巴拉巴拉"),
        &mut out,
    );
    assert!(out.contains(&crate::call::Action::Listen {
        timeout: Duration::from_secs(2)
    }));
    let turn = call.send_at(Duration::from_secs(30 * 60), silence());
    turn.is(
        &["say:polite_close", "hangup:time_limit"],
        &[ZH_CN.polite_close],
    );
    call.assert_ended(EndReason::TimeLimit);
}
