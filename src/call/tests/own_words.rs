//! Issue 25's first section on the machine: requests in the caller's own
//! words, negation scoped to its clause and ASR slips, on the shipped
//! hotline in zh-CN, zh-TW and en, with the exact words heard. Each line
//! was first checked with `callscript understand --flow hotline`.

use super::{Call, LISTEN, words};
use crate::calendar::DayPart;

/// One locale's caller lines and the service's exact wording.
struct Lang {
    code: &'static str,
    opening: &'static str,
    bill: &'static str,
    anything_else: &'static str,
    consent: &'static str,
    complaint_reply: &'static str,
    agent_number: &'static str,
    callback_reply: &'static str,
    evening_reply: &'static str,
    // what callers say
    how_much_this_month: &'static str,
    do_i_owe: &'static str,
    a_real_person: &'static str,
    a_rip_off: &'static str,
    your_number: &'static str,
    call_me_later: &'static str,
    good_evening: &'static str,
    not_the_plan_but_the_bill: &'static str,
    not_the_bill_but_a_complaint: &'static str,
    /// ASR slips (话费→花费, 工号→公号, 人工→仁工); English has no pinyin,
    /// so its lines are the other kinds' again.
    slips: Option<[&'static str; 3]>,
}

const ZH_CN: Lang = Lang {
    code: "zh-CN",
    opening: "您好,XX欢迎您的来电,请问有什么可以帮您?",
    bill: "您本月话费58.50元。",
    anything_else: "您还需要别的帮助吗?",
    consent: "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?",
    complaint_reply: "非常抱歉给您带来不便!我马上为您登记。",
    agent_number: "我的工号是1024,很高兴为您服务。",
    callback_reply: "好的,我们会在两小时内给您回电话,请您保持电话畅通。请问还有什么可以帮您?",
    evening_reply: "晚上好,请问有什么可以帮您?",
    how_much_this_month: "我想知道这个月用了多少钱",
    do_i_owe: "帮我看看欠不欠费",
    a_real_person: "找个活人跟我说",
    a_rip_off: "你们这服务也太坑了吧",
    your_number: "你是多少号",
    call_me_later: "一会儿再打给我",
    good_evening: "晚上好呀",
    not_the_plan_but_the_bill: "我不要改套餐,我想查话费",
    not_the_bill_but_a_complaint: "我不是查话费,我要投诉",
    slips: Some(["我想查花费", "你的公号是多少", "转仁工"]),
};

const ZH_TW: Lang = Lang {
    code: "zh-TW",
    opening: "您好,XX歡迎您的來電,請問有什麼可以幫您?",
    bill: "您本月話費58.50元。",
    anything_else: "您還需要別的幫助嗎?",
    consent: "為了更好地解決您的問題,我為您轉接到人工客服,請問可以嗎?",
    complaint_reply: "非常抱歉給您帶來不便!我馬上為您登記。",
    agent_number: "我的工號是1024,很高興為您服務。",
    callback_reply: "好的,我們會在兩小時內給您回電話,請您保持電話暢通。請問還有什麼可以幫您?",
    evening_reply: "晚上好,請問有什麼可以幫您?",
    how_much_this_month: "我想知道這個月用了多少錢",
    do_i_owe: "幫我看看欠不欠費",
    a_real_person: "找個活人跟我說",
    a_rip_off: "你們這服務也太坑了吧",
    your_number: "你是多少號",
    call_me_later: "一會兒再打給我",
    good_evening: "晚上好呀",
    not_the_plan_but_the_bill: "我不要改套餐,我想查話費",
    not_the_bill_but_a_complaint: "我不是查話費,我要投訴",
    slips: Some(["我想查花費", "你的公號是多少", "轉仁工"]),
};

const EN: Lang = Lang {
    code: "en",
    opening: "Hello, welcome to XX. How may I help you?",
    bill: "Your bill this month is 58.50 yuan.",
    anything_else: "Is there anything else I can help you with?",
    consent: "To solve your problem better, I will transfer you to an agent. Is that all right?",
    complaint_reply: "I'm very sorry for the trouble. Let me record your complaint right away.",
    agent_number: "My agent number is 1024. I'm glad to help you.",
    callback_reply: "Certainly. We will call you back within two hours; please keep your phone available. Is there anything else I can help you with?",
    evening_reply: "Good evening, how may I help you?",
    how_much_this_month: "how much did I spend this month",
    do_i_owe: "do I owe you anything",
    a_real_person: "get me a real person",
    a_rip_off: "your service is a total rip-off",
    your_number: "what number are you",
    call_me_later: "call me back in a bit",
    good_evening: "good evening",
    not_the_plan_but_the_bill: "I don't want to change my plan, I want to check my bill",
    not_the_bill_but_a_complaint: "I'm not calling about the bill, I want to complain",
    slips: None,
};

const LANGS: [Lang; 3] = [ZH_CN, ZH_TW, EN];

fn call(lang: &Lang, part: DayPart) -> Call {
    let (call, opening) = Call::start(lang.code, part);
    opening.is(&["say:opening", LISTEN], &[lang.opening]);
    call
}

/// The bill is looked up, and its answer said, then "anything else?".
fn gets_the_bill(lang: &Lang, line: &str) {
    let mut call = call(lang, DayPart::Afternoon);
    call.send(words(line))
        .is(&["lookup:bill", "listen:2000"], &[]);
    call.answered("bill", "amount", "58.50").is(
        &["say:bill_answer", "say:anything_else", LISTEN],
        &[lang.bill, lang.anything_else],
    );
}

fn gets_the_transfer_question(lang: &Lang, line: &str) {
    let mut call = call(lang, DayPart::Afternoon);
    call.send(words(line))
        .is(&["say:transfer_consent", LISTEN], &[lang.consent]);
    assert_eq!(
        call.at(),
        ("confirming_transfer", Some("to_agent")),
        "{line}"
    );
}

fn gets_the_complaint_path(lang: &Lang, line: &str) {
    let mut call = call(lang, DayPart::Afternoon);
    call.send(words(line)).is(
        &["say:complaint_reply", "lookup:ticket", "listen:2000"],
        &[lang.complaint_reply],
    );
}

fn gets_the_agent_number(lang: &Lang, line: &str) {
    let mut call = call(lang, DayPart::Afternoon);
    call.send(words(line))
        .is(&["say:agent_number", LISTEN], &[lang.agent_number]);
    assert_eq!(call.at(), ("listening", Some("welcome")), "{line}");
}

// === requests in the caller's own words ===

#[test]
fn how_much_was_spent_this_month_is_the_bill() {
    for lang in &LANGS {
        gets_the_bill(lang, lang.how_much_this_month);
    }
}

#[test]
fn whether_anything_is_owed_is_the_bill() {
    for lang in &LANGS {
        gets_the_bill(lang, lang.do_i_owe);
    }
}

#[test]
fn a_real_person_in_own_words_hears_the_transfer_question() {
    for lang in &LANGS {
        gets_the_transfer_question(lang, lang.a_real_person);
    }
}

/// A complaint without the word 投诉 is a complaint (N17).
#[test]
fn a_complaint_without_the_word_takes_the_complaint_path() {
    for lang in &LANGS {
        gets_the_complaint_path(lang, lang.a_rip_off);
    }
}

/// N14: the agent number, however it is asked for.
#[test]
fn what_number_are_you_hears_the_agent_number() {
    for lang in &LANGS {
        gets_the_agent_number(lang, lang.your_number);
    }
}

#[test]
fn call_me_later_hears_when_we_call_back() {
    for lang in &LANGS {
        let mut call = call(lang, DayPart::Afternoon);
        call.send(words(lang.call_me_later))
            .is(&["say:callback_reply", LISTEN], &[lang.callback_reply]);
    }
}

/// N6: a caller's hello gets the greeting of the day part.
#[test]
fn good_evening_is_greeted_back_in_the_evening() {
    for lang in &LANGS {
        let mut call = call(lang, DayPart::Evening);
        call.send(words(lang.good_evening)).is(
            &["say:greeting_reply_evening", LISTEN],
            &[lang.evening_reply],
        );
    }
}

// === negation, in its clause ===

/// 我不要改套餐,我想查话费: the bill, never the plan change's hold question.
#[test]
fn a_refused_plan_change_then_the_bill_is_only_the_bill() {
    for lang in &LANGS {
        gets_the_bill(lang, lang.not_the_plan_but_the_bill);
    }
}

/// 我不是查话费,我要投诉: the complaint only; no bill is looked up.
#[test]
fn not_the_bill_but_a_complaint_is_only_the_complaint() {
    for lang in &LANGS {
        gets_the_complaint_path(lang, lang.not_the_bill_but_a_complaint);
    }
}

// === ASR slips ===

/// 花费 for 话费, 公号 for 工号, 仁工 for 人工: the recogniser's homophones
/// meet their words by sound.
#[test]
fn asr_slips_are_understood_by_their_sound() {
    for lang in &LANGS {
        let Some([bill, number, agent]) = lang.slips else {
            continue;
        };
        gets_the_bill(lang, bill);
        gets_the_agent_number(lang, number);
        gets_the_transfer_question(lang, agent);
    }
}
