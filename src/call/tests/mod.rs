//! Transcript tests of the call machine on the shipped hotline.
//!
//! Each test feeds events one at a time and checks the exact turn that
//! comes back: the actions as short strings (`say:unclear`, `listen:5000`,
//! `transfer:agent_queue`, `hangup:poor_audio`) and the words said, spelled
//! out here from the norms so that a change of wording in the flow shows.
//! The machine has no clock: a timer firing is just `Event::NoInput`.

use std::sync::Arc;

mod hold;
mod lookup;
mod understanding;
mod variables;

use super::{Action, AudioKind, CallMachine, CallSetup, EndReason, Event};
use crate::{
    calendar::DayPart,
    flow::{Flow, compile_source},
};

// === wording (zh-CN unless named otherwise) ===

const OPENING: &str = "您好,XX欢迎您的来电,请问有什么可以帮您?";
const OPENING_MORNING: &str = "早上好!XX欢迎您的来电,请问有什么可以帮您?";
const REPROMPT: &str = "您好!请问有什么可以帮您?";
const SILENCE_GOODBYE: &str = "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!";
const UNCLEAR: &str = "非常抱歉,我这边听不清楚,请您大声一点,好吗?";
const SWITCH_PHONE: &str = "对不起!您的电话声音太小,我这边听不清楚,请您换一部电话再打过来,好吗?";
const PICK_UP: &str = "非常抱歉,我听不到您的声音,请问您是否已拿起话筒?";
const SPEAK_INTO: &str = "我这边听不清楚,请您拿起话筒说话,好吗?";
const MANDARIN: &str = "对不起,请您用普通话,好吗?";
const CONSENT: &str = "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?";
const DECLINED: &str = "好的,那我继续为您服务,请问还有什么可以帮您?";
const FAILED: &str = "非常抱歉,人工客服暂时无法接通,我继续为您服务。";
const HOLD_ASK: &str = "我需要为您查询一下,请您稍候,可以吗?";
const HOLD_THANKS: &str = "谢谢,大约需要一分钟,请您稍候。";
const HOLD_RESUME: &str = "不好意思让您久等了。";
const HOLD_RESULT: &str = "您的业务已办理成功。";
const ANYTHING_ELSE: &str = "您还需要别的帮助吗?";
const MORE_HELP: &str = "好的,请问还有什么可以帮您?";
const GOODBYE: &str = "谢谢您,祝您愉快!再见。";
const AGENT_NUMBER: &str = "我的工号是1024,很高兴为您服务。";
const BILL: &str = "您本月话费58.50元。";
const RECORDED: &str =
    "好的,您的问题我已经记录下来,服务单号是T20261201,我们会在三天内给您一个满意的答复。";
const POLITE_CLOSE: &str = "非常抱歉给您带来不便,感谢您的来电,再见!";
const NOT_UNDERSTOOD: &str = "非常抱歉,请您再说一遍您需要办理的业务,好吗?";

const LISTEN: &str = "listen:5000";
const TRANSFER: &str = "transfer:agent_queue:caller asked for an agent";

// === harness ===

fn hotline() -> Arc<Flow> {
    Arc::new(
        compile_source("hotline.toml", include_str!("../../../flows/hotline.toml"))
            .expect("the shipped hotline compiles"),
    )
}

/// What one event produced.
#[derive(Debug)]
struct Turn {
    actions: Vec<String>,
    said: Vec<String>,
}

impl Turn {
    /// Asserts the whole turn: every action, and every text said.
    #[track_caller]
    fn is(&self, actions: &[&str], said: &[&str]) {
        assert_eq!(self.actions, actions, "actions");
        assert_eq!(self.said, said, "texts said");
    }
}

fn show(action: &Action) -> String {
    match action {
        Action::Say(s) => format!("say:{}", s.prompt.id),
        Action::Listen { timeout } => format!("listen:{}", timeout.as_millis()),
        Action::Transfer { target, reason } => format!("transfer:{target}:{reason}"),
        Action::Hangup(r) => format!("hangup:{}", r.as_str()),
        Action::Lookup { name, .. } => format!("lookup:{name}"),
    }
}

struct Call {
    machine: CallMachine,
    elapsed: std::time::Duration,
}

impl Call {
    /// Answers a call in `locale` and checks nothing yet: the opening turn
    /// comes back for the test to check.
    fn start(locale: &str, day_part: DayPart) -> (Call, Turn) {
        let flow = hotline();
        let opening = match day_part {
            DayPart::Morning => flow.prompt_index("opening_morning"),
            _ => flow.prompt_index("opening"),
        };
        let locale = flow
            .locale_index(locale)
            .expect("the hotline has this locale");
        let mut call = Call {
            machine: CallMachine::new(CallSetup {
                flow,
                locale,
                opening,
                day_part,
                variables: Default::default(),
                caller: "".into(),
                callee: "".into(),
                after_hours: false,
            }),
            elapsed: std::time::Duration::ZERO,
        };
        assert_eq!(call.at(), ("ringing", None));
        let turn = call.send(Event::Start);
        (call, turn)
    }

    /// A call into `flow` in its first locale, with its own variables;
    /// the opening turn comes back for the test to check.
    fn with(flow: Arc<Flow>, variables: &[(&str, &str)]) -> (Call, Turn) {
        let mut call = Call {
            machine: CallMachine::new(CallSetup {
                opening: flow.prompt_index("opening"),
                flow,
                locale: 0,
                day_part: DayPart::Afternoon,
                variables: variables
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                caller: "13800138000".into(),
                callee: "10086".into(),
                after_hours: false,
            }),
            elapsed: std::time::Duration::ZERO,
        };
        let turn = call.send(Event::Start);
        (call, turn)
    }

    /// A zh-CN call in the afternoon, past its (checked) opening.
    fn zh_cn() -> Call {
        let (call, opening) = Call::start("zh-CN", DayPart::Afternoon);
        opening.is(&["say:opening", LISTEN], &[OPENING]);
        call
    }

    fn send(&mut self, event: Event) -> Turn {
        self.send_at(self.elapsed, event)
    }

    /// The front-end answers lookup `name` with one variable.
    fn answered(&mut self, name: &str, var: &str, value: &str) -> Turn {
        self.send(Event::LookupResult {
            name: name.into(),
            ok: true,
            variables: [(var.to_owned(), value.to_owned())].into(),
        })
    }

    /// Sends `event` at `elapsed` into the call.
    fn send_at(&mut self, elapsed: std::time::Duration, event: Event) -> Turn {
        self.elapsed = elapsed;
        let mut out = Vec::new();
        self.machine.handle_at(elapsed, &event, &mut out);
        let said = out
            .iter()
            .filter_map(|a| match a {
                Action::Say(s) => Some(s.text().to_string()),
                Action::Listen { .. }
                | Action::Transfer { .. }
                | Action::Hangup(_)
                | Action::Lookup { .. } => None,
            })
            .collect();
        Turn {
            actions: out.iter().map(show).collect(),
            said,
        }
    }

    /// The phase and the step.
    fn at(&self) -> (&'static str, Option<&str>) {
        (self.machine.state_name(), self.machine.step().map(|s| &**s))
    }

    #[track_caller]
    fn assert_ended(&self, reason: EndReason) {
        assert_eq!(self.at(), ("ended", None));
        assert_eq!(self.machine.ended(), Some(reason));
    }
}

fn words(text: &str) -> Event {
    Event::Speech {
        text: text.into(),
        confidence: Some(0.9),
        intents: Vec::new(),
    }
}

fn mumble(text: &str) -> Event {
    Event::Speech {
        text: text.into(),
        confidence: Some(0.2),
        intents: Vec::new(),
    }
}

fn keys(digits: &str) -> Event {
    Event::Dtmf {
        digits: digits.into(),
    }
}

fn silence() -> Event {
    Event::NoInput
}

fn weak() -> Event {
    Event::Audio(AudioKind::Weak)
}

fn noisy() -> Event {
    Event::Audio(AudioKind::Noisy)
}

/// Asks to speak up three times, then suggests another phone.
fn until_switch_phone(call: &mut Call) {
    for _ in 0..3 {
        call.send(weak()).is(&["say:unclear", LISTEN], &[UNCLEAR]);
    }
    call.send(weak())
        .is(&["say:switch_phone", "listen:5000"], &[SWITCH_PHONE]);
    assert_eq!(call.at(), ("confirming_switch", Some("welcome")));
}

/// Asks for an agent at the opening and checks the consent question.
fn ask_for_agent(call: &mut Call) {
    call.send(words("我要转人工"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
    assert_eq!(call.at(), ("confirming_transfer", Some("to_agent")));
}

// === silence (N5) ===

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

// === weak or unclear audio (N7) ===

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
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
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

// === transfer with consent (N10) ===

#[test]
fn transfer_yes_transfers_with_target_and_reason() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(words("可以")).is(&[TRANSFER], &[]);
    assert_eq!(call.at(), ("transferring", Some("to_agent")));
    // The caller is in the queue now: nothing to answer.
    call.send(silence()).is(&[], &[]);
    call.send(words("喂")).is(&[], &[]);
    call.send(Event::TransferResult { connected: true })
        .is(&[], &[]);
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
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
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
fn transfer_failed_apologises_and_falls_back() {
    let mut call = Call::zh_cn();
    ask_for_agent(&mut call);
    call.send(words("好的")).is(&[TRANSFER], &[]);
    call.send(Event::TransferResult { connected: false }).is(
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
    call.send(Event::TransferResult { connected: true })
        .is(&[], &[]);
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
    call.send(silence())
        .is(&["say:silence_goodbye", LISTEN], &[SILENCE_GOODBYE]);
    call.send(silence()).is(&["hangup:silence"], &[]);
    call.assert_ended(EndReason::Silence);
}

// === agent number (N14) and greetings (N6) ===

#[test]
fn agent_number_is_repeated_whenever_asked() {
    let mut call = Call::zh_cn();
    call.send(words("你的工号是多少"))
        .is(&["say:agent_number", LISTEN], &[AGENT_NUMBER]);
    assert_eq!(call.at(), ("listening", Some("welcome")));
    call.send(words("再说一遍工号"))
        .is(&["say:agent_number", LISTEN], &[AGENT_NUMBER]);
    call.send(words("你是几号"))
        .is(&["say:agent_number", LISTEN], &[AGENT_NUMBER]);
    assert_eq!(call.at(), ("listening", Some("welcome")));

    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    // "agent number" outweighs "agent": no transfer question.
    call.send(words("What is your agent number?")).is(
        &["say:agent_number", LISTEN],
        &["My agent number is 1024. I'm glad to help you."],
    );
}

#[test]
fn agent_number_while_hold_is_asked() {
    let mut call = Call::zh_cn();
    call.send(words("办理套餐"))
        .is(&["say:hold_ask", LISTEN], &[HOLD_ASK]);
    call.send(words("工号多少")).is(
        &["say:agent_number", "say:hold_ask", LISTEN],
        &[AGENT_NUMBER, HOLD_ASK],
    );
    assert_eq!(call.at(), ("confirming_hold", Some("change_plan")));
}

#[test]
fn caller_greeting_is_answered_by_day_part() {
    let (mut call, opening) = Call::start("zh-CN", DayPart::Morning);
    opening.is(&["say:opening_morning", LISTEN], &[OPENING_MORNING]);
    call.send(words("客服您好")).is(
        &["say:greeting_reply_morning", LISTEN],
        &["早上好,请问有什么可以帮您?"],
    );
    assert_eq!(call.at(), ("listening", Some("welcome")));

    let mut call = Call::zh_cn();
    call.send(words("小姐您好")).is(
        &["say:greeting_reply_afternoon", LISTEN],
        &["下午好,请问有什么可以帮您?"],
    );

    let (mut call, _) = Call::start("zh-CN", DayPart::Evening);
    call.send(words("你好")).is(
        &["say:greeting_reply_evening", LISTEN],
        &["晚上好,请问有什么可以帮您?"],
    );

    let (mut call, _) = Call::start("zh-TW", DayPart::Evening);
    call.send(words("先生您好")).is(
        &["say:greeting_reply_evening", LISTEN],
        &["晚上好,請問有什麼可以幫您?"],
    );

    let (mut call, _) = Call::start("en", DayPart::Afternoon);
    call.send(words("Hi there")).is(
        &["say:greeting_reply_afternoon", LISTEN],
        &["Good afternoon, how may I help you?"],
    );
}

#[test]
fn greeting_with_a_request_routes_the_request() {
    let mut call = Call::zh_cn();
    call.send(words("你好,我想转人工"))
        .is(&["say:transfer_consent", LISTEN], &[CONSENT]);
}

// === closing (N12, N15) ===

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
    call.send(mumble("嗯嗯")).is(&[], &[]);
    call.send(mumble("啊")).is(&[], &[]);
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

// === matching and the rest ===

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
