//! `hangup`: say a last prompt and hang up without waiting for the caller
//! (N12 prefers `close`).

use schemars::JsonSchema;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, NormsAt, RawKind, StepBehaviour,
    StepKindSpec, Written, schema_of,
};

/// Say a prompt and hang up at once.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "HangupStep")]
pub struct RawHangup {
    /// Say this prompt and hang up at once (N12 prefers `close`).
    #[schemars(with = "String")]
    pub hangup: Sp<String>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `hangup` step.
#[derive(Debug, Clone)]
pub struct HangupStep {
    pub prompt: PromptIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "hangup",
    fields: &[],
    take: |value, entries| Box::new(RawHangup::take(value, entries)),
    schema: schema_of::<RawHangup>,
};

impl RawHangup {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawHangup {
            hangup: value,
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawHangup {
    fn value(&self) -> &Sp<String> {
        &self.hangup
    }

    fn field(&self, _key: &str) -> Option<Written<'_>> {
        None
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        cx.prompt(f.value())
            .map(|prompt| StepKind::Hangup(HangupStep { prompt }))
    }
}

impl StepBehaviour for HangupStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn passing_prompt(&self) -> Option<PromptIx> {
        Some(self.prompt)
    }

    fn state(&self, _progress: &super::Progress) -> CallState {
        CallState::Ended
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![]
    }

    fn listens(&self) -> bool {
        false
    }

    /// N12: a bare hang-up is allowed, but a close lets the caller hang up
    /// first.
    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        found.warn(
            at.span.clone(),
            Some("N12"),
            format!(
                "step {:?} hangs up without waiting for the caller; prefer a close step, which lets the caller hang up first",
                at.step.id
            ),
        );
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("say {}, hang up", at.prompt(self.prompt)));
        let end = g.hangup("flow_end", "script");
        g.edge(&at.id, &end, None, false);
    }

    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        Entered::Phase(call.hang_up(self.prompt))
    }
}
