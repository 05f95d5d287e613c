//! `transfer`: say why and ask the caller's consent; transfer only on yes
//! (N10), apologise and go on to `fallback` when it fails.

use std::{ops::Range, sync::Arc};

use schemars::JsonSchema;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{Flow, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    Entries, Field,
    Holds::{PromptRef, StepRef, Text},
    RawKind, StepKindSpec, Written, required, schema_of,
};

/// Transfer to a person, only after the caller agreed (N10).
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "TransferStep")]
pub struct RawTransfer {
    /// Transfer to this target, only after the caller agreed (N10).
    #[schemars(with = "String")]
    pub transfer: Sp<String>,
    /// The prompt that says why and asks whether the caller agrees (N10).
    #[schemars(with = "Option<String>")]
    pub consent: Option<Sp<String>>,
    /// The reason, passed to the front-end with the transfer (N10).
    #[schemars(with = "Option<String>")]
    pub reason: Option<Sp<String>>,
    /// The prompt when the caller does not agree.
    #[schemars(with = "Option<String>")]
    pub declined: Option<Sp<String>>,
    /// The apology when the transfer fails.
    #[schemars(with = "Option<String>")]
    pub failed: Option<Sp<String>>,
    /// The step after a declined or failed transfer.
    #[schemars(with = "Option<String>")]
    pub fallback: Option<Sp<String>>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `transfer` step: the call phases that wait on it carry
/// this, so they never look the step up again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransferStep {
    pub target: Arc<str>,
    pub reason: Arc<str>,
    pub consent: PromptIx,
    pub declined: PromptIx,
    pub failed: PromptIx,
    pub fallback: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "transfer",
    fields: FIELDS,
    take: |value, entries| Box::new(RawTransfer::take(value, entries)),
    schema: schema_of::<RawTransfer>,
};

const FIELDS: &[Field] = &[
    required(
        "consent",
        PromptRef,
        Some("N10"),
        "the caller is told why and asked before any transfer",
    ),
    required("reason", Text, Some("N10"), "the reason for the transfer"),
    required(
        "declined",
        PromptRef,
        Some("N10"),
        "what we say when the caller does not agree",
    ),
    required(
        "failed",
        PromptRef,
        None,
        "the apology when the transfer fails",
    ),
    required(
        "fallback",
        StepRef,
        None,
        "the step after a failed transfer",
    ),
];

impl RawTransfer {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawTransfer {
            transfer: value,
            consent: entries.text("consent"),
            reason: entries.text("reason"),
            declined: entries.text("declined"),
            failed: entries.text("failed"),
            fallback: entries.text("fallback"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawTransfer {
    fn value(&self) -> &Sp<String> {
        &self.transfer
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        let text = match key {
            "consent" => &self.consent,
            "reason" => &self.reason,
            "declined" => &self.declined,
            "failed" => &self.failed,
            "fallback" => &self.fallback,
            _ => return None,
        };
        text.as_ref().map(Written::Name)
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    /// N10: the caller is told why and asked before being put through.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        if f.value().get_ref().trim().is_empty() {
            found.error(f.value().span(), None, "transfer target is empty".into());
        }
        found.done(StepKind::Transfer(TransferStep {
            target: f.value().get_ref().as_str().into(),
            reason: self
                .reason
                .as_ref()
                .map_or_else(|| "".into(), |r| r.get_ref().as_str().into()),
            consent: f.prompt("consent"),
            declined: f.prompt("declined"),
            failed: f.prompt("failed"),
            fallback: f.step("fallback"),
        }))
    }
}

impl TransferStep {
    /// What a simulated call waits for once the transfer is sent, and
    /// the commands that give it (`callscript simulate`).
    pub const WAITS_FOR: &str = "waiting for the transfer: /transfer ok or /transfer failed";

    /// N10: consent is a yes/no question, and reads as one.
    pub(super) fn check_norms(&self, flow: &Flow, span: Range<usize>, found: &mut Findings<'_>) {
        if flow.roles.yes.is_none() || flow.roles.no.is_none() {
            found.error(
                span.clone(),
                Some("N10"),
                "a transfer asks consent, so the flow needs intents \"yes\" and \"no\"".into(),
            );
        }
        let consent = flow.prompt(self.consent);
        if consent
            .texts
            .iter()
            .any(|t| !t.trim_end().ends_with(['?', '?']))
        {
            found.warn(
                span,
                Some("N10"),
                format!(
                    "consent prompt {:?} should end with a question: the caller must be asked whether they agree",
                    consent.id
                ),
            );
        }
    }
}

impl TransferStep {
    /// The steps it leads to by itself (`StepKind::successors`).
    pub(super) fn successors(&self) -> Vec<StepIx> {
        vec![self.fallback]
    }
}
