//! `close`: ask whether anything else is needed, then thank, say goodbye
//! and let the caller hang up first (N12).

use schemars::JsonSchema;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{ListenFor, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field,
    Holds::{PromptRef, StepRef},
    Listening, NodeShape, NormsAt, OnGoodbye, Progress, RawKind, StepBehaviour, StepInput,
    StepKindSpec, Written, required, schema_of, seconds, yes_no_question,
};

/// Ask whether anything else is needed, then goodbye (N12).
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "CloseStep")]
pub struct RawClose {
    /// Ask with this prompt whether anything else is needed, then say
    /// `goodbye` and let the caller hang up first (N12).
    #[schemars(with = "String")]
    pub close: Sp<String>,
    /// The thanks and goodbye (N12).
    #[schemars(with = "Option<String>")]
    pub goodbye: Option<Sp<String>>,
    /// The step when the caller needs more help.
    #[schemars(with = "Option<String>")]
    pub more: Option<Sp<String>>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `close` step: the closing phase carries it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CloseStep {
    pub ask: PromptIx,
    pub goodbye: PromptIx,
    pub more: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "close",
    fields: FIELDS,
    take: |value, entries| Box::new(RawClose::take(value, entries)),
    schema: schema_of::<RawClose>,
};

const FIELDS: &[Field] = &[
    required(
        "goodbye",
        PromptRef,
        Some("N12"),
        "we thank the caller and say goodbye",
    ),
    required(
        "more",
        StepRef,
        Some("N12"),
        "the step when the caller needs more help",
    ),
];

impl RawClose {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawClose {
            close: value,
            goodbye: entries.text("goodbye"),
            more: entries.text("more"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawClose {
    fn value(&self) -> &Sp<String> {
        &self.close
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "goodbye" => self.goodbye.as_ref().map(Written::Name),
            "more" => self.more.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    /// N12: asks whether there is more, thanks, and lets the caller hang
    /// up first.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        cx.prompt(f.value()).map(|ask| {
            StepKind::Close(CloseStep {
                ask,
                goodbye: f.prompt("goodbye"),
                more: f.step("more"),
            })
        })
    }
}

impl StepBehaviour for CloseStep {
    /// At "anything else?" a goodbye is the caller's "no more", even with a
    /// yes inside it (`closing_words`).
    fn on_goodbye(&self, _progress: &Progress) -> OnGoodbye {
        OnGoodbye::Own
    }

    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, _progress: &Progress) -> CallState {
        CallState::Closing
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.more]
    }

    fn listens(&self) -> bool {
        true
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        at.yes_no()
    }

    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        yes_no_question(at, "N12", found);
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        let timing = at.flow.timing();
        at.node(g, format!("close {}", at.prompt(self.ask)));
        // Other words are answered as `more` would answer them.
        at.edge_to(g, self.more, Some("yes or a request"));
        let bye = format!("{}_goodbye", at.id);
        g.node(
            bye.clone(),
            vec![format!("say {}", at.prompt(self.goodbye))],
            NodeShape::Marker,
        );
        let label = format!("no or {} silence", seconds(timing.no_input));
        g.edge(&at.id, &bye, Some(&label), false);
        g.node(
            "caller_hangup".into(),
            vec!["caller hangs up first (N12)".into()],
            NodeShape::End,
        );
        g.edge(&bye, "caller_hangup", None, false);
        let more = at.step_id(g, self.more);
        g.edge(&bye, &more, Some("caller speaks again"), false);
        let open = g.hangup("line_left_open", "N15");
        let label = format!("{}, line left open", seconds(timing.caller_hangup_wait));
        g.edge(&bye, &open, Some(&label), true);
    }

    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        Entered::Phase(call.close(self))
    }

    /// Words → the machine's closing rules (`closing_words`); silence →
    /// the goodbye, and the caller hangs up first.
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        let _ = progress;
        match input {
            StepInput::Heard(heard) => call.closing_words(self, heard),
            StepInput::Silence => call.goodbye(self),
            StepInput::Unclear
            | StepInput::Started
            | StepInput::Audio
            | StepInput::LookupResult { .. }
            | StepInput::RecordingResult { .. }
            | StepInput::HoldResult { .. }
            | StepInput::TransferResult { .. }
            | StepInput::TimeLimit
            | StepInput::Call => call.pass(),
        }
    }
}
