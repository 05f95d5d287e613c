//! `say`: say a prompt and go on to `next` in the same turn.

use schemars::JsonSchema;

use super::super::compile::{Checked, steps::StepContext, steps::StepFields};
use super::super::{PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Holds::StepRef, RawKind,
    StepBehaviour, StepKindSpec, Written, required, schema_of,
};

/// Say a prompt and go on.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "SayStep")]
pub struct RawSay {
    /// Say this prompt and go on to `next`.
    #[schemars(with = "String")]
    pub say: Sp<String>,
    /// The step to go on to.
    #[schemars(with = "Option<String>")]
    pub next: Option<Sp<String>>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `say` step.
#[derive(Debug, Clone)]
pub struct SayStep {
    pub prompt: PromptIx,
    pub next: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "say",
    fields: FIELDS,
    take: |value, entries| Box::new(RawSay::take(value, entries)),
    schema: schema_of::<RawSay>,
};

const FIELDS: &[Field] = &[required("next", StepRef, None, "the step to go on to")];

impl RawSay {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawSay {
            say: value,
            next: entries.text("next"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawSay {
    fn value(&self) -> &Sp<String> {
        &self.say
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "next" => self.next.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        cx.prompt(f.value()).map(|prompt| {
            StepKind::Say(SayStep {
                prompt,
                next: f.step("next"),
            })
        })
    }
}

impl StepBehaviour for SayStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn passing_prompt(&self) -> Option<PromptIx> {
        Some(self.prompt)
    }

    /// Never shown: a call goes on from a `say` in the same turn.
    fn state(&self, _progress: &super::Progress) -> CallState {
        CallState::Listening
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.next]
    }

    fn listens(&self) -> bool {
        false
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("say {}", at.prompt(self.prompt)));
        at.edge_to(g, self.next, None);
    }

    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.tell(self.prompt);
        Entered::Next(self.next)
    }
}
