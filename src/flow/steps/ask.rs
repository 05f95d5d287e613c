//! `ask`: say a question and listen; what the caller means (`on`) leads to
//! the next step, words that match no answer to `otherwise`.

use std::collections::BTreeMap;

use schemars::JsonSchema;

use super::super::compile::{
    Checked, Findings, OPENING_REF, check_reference, steps::StepContext, steps::StepFields,
};
use super::super::{AskPrompt, Flow, IntentIx, ListenFor, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field,
    Holds::{Answers, PromptRef, StepRef},
    Listening, OnGoodbye, Progress, RawKind, StepBehaviour, StepInput, StepKindSpec, Written,
    optional, schema_of,
};

/// Say and listen.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "AskStep")]
pub struct RawAsk {
    /// Say this prompt and listen ("@opening": the calendar's opening, N2-N4).
    #[schemars(with = "String")]
    pub ask: Sp<String>,
    /// The second silence prompt instead of the flow's `silence_reprompt` (N5).
    #[schemars(with = "Option<String>")]
    pub reprompt: Option<Sp<String>>,
    /// Intent name → the step it leads to.
    #[schemars(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub on: BTreeMap<Sp<String>, Sp<String>>,
    /// The step for words that match no answer.
    #[schemars(with = "Option<String>")]
    pub otherwise: Option<Sp<String>>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `ask` step.
#[derive(Debug, Clone)]
pub struct AskStep {
    pub prompt: AskPrompt,
    /// Second silence prompt instead of the flow's `silence_reprompt`.
    pub reprompt: Option<PromptIx>,
    pub answers: Vec<(IntentIx, StepIx)>,
    /// Where speech that matches no answer goes.
    pub otherwise: Option<StepIx>,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "ask",
    fields: FIELDS,
    take: |value, entries| Box::new(RawAsk::take(value, entries)),
    schema: schema_of::<RawAsk>,
};

const FIELDS: &[Field] = &[
    optional("reprompt", PromptRef),
    optional("on", Answers),
    optional("otherwise", StepRef),
];

impl RawAsk {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawAsk {
            ask: value,
            reprompt: entries.text("reprompt"),
            on: entries.answers("on"),
            otherwise: entries.text("otherwise"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawAsk {
    fn value(&self) -> &Sp<String> {
        &self.ask
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "reprompt" => self.reprompt.as_ref().map(Written::Name),
            "on" => self.on.keys().next().map(|_| Written::Value),
            "otherwise" => self.otherwise.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    /// Asks and listens: `on` maps what the caller says to the next step.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let prompt = if f.value().get_ref() == OPENING_REF {
            AskPrompt::Opening
        } else {
            AskPrompt::Prompt(found.take(cx.prompt(f.value())))
        };
        let answers = self
            .on
            .iter()
            .filter_map(|(intent, target)| {
                let i = found.take(check_reference(
                    cx.source(),
                    intent,
                    &cx.names().intents,
                    "intent",
                ));
                let t = found.take(check_reference(
                    cx.source(),
                    target,
                    &cx.names().steps,
                    "step",
                ));
                Some((i?, t?))
            })
            .collect();
        let otherwise = f.given("otherwise").map(StepIx::new);
        if otherwise.is_none() && cx.roles().not_understood.is_none() {
            found.error(
                f.span(),
                None,
                format!(
                    "dead end: ask step {:?} has no `otherwise` and the flow has no prompt \"not_understood\", so words that match no answer lead nowhere",
                    f.name().get_ref()
                ),
            );
        }
        found.done(StepKind::Ask(AskStep {
            prompt,
            reprompt: f.given("reprompt").map(PromptIx::new),
            answers,
            otherwise,
        }))
    }
}

/// What the caller says at an ask is answered by the machine's `respond`
/// (routing, and the everyday replies every listening step shares).
impl StepBehaviour for AskStep {
    /// Words at a question are routed first (我要查话费,再见 is a request),
    /// then a goodbye leads to the close (`respond`).
    fn on_goodbye(&self, _progress: &Progress) -> OnGoodbye {
        OnGoodbye::Own
    }

    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, _progress: &Progress) -> CallState {
        CallState::Listening
    }

    fn successors(&self) -> Vec<StepIx> {
        self.answers
            .iter()
            .map(|(_, s)| *s)
            .chain(self.otherwise)
            .collect()
    }

    fn listens(&self) -> bool {
        true
    }

    fn answers(&self) -> Option<&[(IntentIx, StepIx)]> {
        Some(&self.answers)
    }

    fn reprompt(&self, flow: &Flow) -> PromptIx {
        self.reprompt.unwrap_or(flow.roles().silence_reprompt)
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        let mut intents = self.answers.iter().map(|(i, _)| *i).chain(at.anywhere());
        at.flow_keys(at.phrases(&mut intents))
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        let what = match self.prompt {
            AskPrompt::Opening => "@opening (N2-N4)".to_owned(),
            AskPrompt::Prompt(p) => at.prompt(p),
        };
        at.node(g, format!("ask {what}"));
        for (intent, to) in &self.answers {
            at.edge_to(g, *to, Some(&at.flow.intent(*intent).name));
        }
        if let Some(to) = self.otherwise {
            at.edge_to(g, to, Some("otherwise"));
        }
        g.silence(at.flow, &at.id, self.reprompt(at.flow));
    }

    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        Entered::Phase(call.ask(self))
    }

    /// Words or keys → `respond`; silence → the reprompt, then the
    /// goodbye and the hang-up (N5).
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        match input {
            StepInput::Heard(heard) => {
                let understood = call.understand(heard);
                call.respond(understood)
            }
            StepInput::Silence => {
                let again = self.reprompt(call.flow());
                call.silence(&mut progress.silent, again)
            }
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
