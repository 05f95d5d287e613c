//! Transcript tests of the call machine on the shipped hotline.
//!
//! Each test feeds events one at a time and checks the exact turn that
//! comes back: the actions as short strings (`say:unclear`, `listen:5000`,
//! `transfer:agent_queue`, `hangup:poor_audio`) and the words said, spelled
//! out here from the norms so that a change of wording in the flow shows.
//! The machine has no clock: a timer firing is just `Event::NoInput`.

use std::sync::Arc;

mod agent_number;
mod audio;
mod blocks;
mod callers_close;
mod closing;
mod consent_questions;
mod goodbye_anywhere;
mod hold;
mod ivr;
mod lookup;
mod matching;
mod own_words;
mod silence;
mod transfer;
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
const SILENCE_GOODBYE_SPOKEN: &str =
    "非常抱歉,一直没有听到您的回复,如您还需要帮助,欢迎再次来电,再见!";
const UNCLEAR: &str = "非常抱歉,我这边听不清楚,请您大声一点,好吗?";
const SWITCH_PHONE: &str = "对不起!您的电话声音太小,我这边听不清楚,请您换一部电话再打过来,好吗?";
const PICK_UP: &str = "非常抱歉,我听不到您的声音,请问您是否已拿起话筒?";
const SPEAK_INTO: &str = "我这边听不清楚,请您拿起话筒说话,好吗?";
const MANDARIN: &str = "对不起,请您用普通话,好吗?";
const CONSENT: &str = "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?";
const ASSISTANT: &str = "您好,我是XX的智能语音助手,不是人工客服。";
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
        Action::Transfer { target, reason, .. } => format!("transfer:{target}:{reason}"),
        Action::Hangup(r) => format!("hangup:{}", r.as_str()),
        Action::Lookup { name, .. } => format!("lookup:{name}"),
        Action::Record {
            max,
            beep,
            terminators,
            into,
        } => format!(
            "record:{into}:{}:{}:{terminators}",
            max.as_millis(),
            if *beep { "beep" } else { "no_beep" }
        ),
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
                | Action::Lookup { .. }
                | Action::Record { .. } => None,
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
