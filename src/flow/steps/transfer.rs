//! `transfer`: say why and ask the caller's consent; transfer only on yes
//! (N10), apologise and go on to `fallback` when it fails. What the PBX
//! needs to carry it out goes with it: the target filled from the call's
//! variables (`sip:{queue}@pbx`), its type, how long to ring, and the
//! variables for the agent's screen pop.

use std::{ops::Range, sync::Arc, time::Duration};

use schemars::JsonSchema;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{Flow, ListenFor, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field,
    Holds::{Millis, PromptRef, StepRef, Text, Variables},
    Listening, NodeShape, NormsAt, OnGoodbye, Progress, RawKind, StepBehaviour, StepInput,
    StepKindSpec, WaitsFor, Written, YesNo, fill,
    fill::{Template, Unknown},
    first_of, names_of, optional, required, schema_of,
};

/// Why a transfer did not go through, as the PBX reports it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum TransferCause {
    Busy,
    NoAnswer,
    Rejected,
    Failed,
}

/// Transfer to a person, only after the caller agreed (N10).
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "TransferStep")]
pub struct RawTransfer {
    /// Transfer to this target, only after the caller agreed (N10); it
    /// may say the call's variables (`sip:{queue}@pbx.example`).
    #[schemars(with = "String")]
    pub transfer: Sp<String>,
    /// What the target is, for the PBX: "queue", "sip", "extension" or
    /// "number".
    #[schemars(with = "Option<TargetTypeName>")]
    pub target_type: Option<Sp<String>>,
    /// How long the PBX rings the target before it gives up (1000 to
    /// 600000 ms); default: the PBX's own.
    #[schemars(with = "Option<i64>", range(min = 1000, max = 600_000))]
    pub timeout_ms: Option<Sp<i64>>,
    /// Variables sent with the transfer for the agent's screen pop (e.g.
    /// ["phone", "vip"]).
    #[schemars(default)]
    #[schemars(with = "Vec<String>")]
    pub attach: Vec<Sp<String>>,
    /// The apology when the target was busy; default `failed`.
    #[schemars(with = "Option<String>")]
    pub busy: Option<Sp<String>>,
    /// The apology when nobody answered; default `failed`.
    #[schemars(with = "Option<String>")]
    pub no_answer: Option<Sp<String>>,
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
    /// As written; the call fills its placeholders.
    pub target: Template,
    pub target_type: Option<TargetType>,
    pub timeout: Option<Duration>,
    pub attach: Arc<[Arc<str>]>,
    pub reason: Arc<str>,
    pub consent: PromptIx,
    pub declined: PromptIx,
    pub failed: PromptIx,
    /// Said instead of `failed` when the PBX says why.
    pub busy: Option<PromptIx>,
    pub no_answer: Option<PromptIx>,
    pub fallback: StepIx,
}

/// What a transfer target is, for the PBX.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum TargetType {
    Queue,
    Sip,
    Extension,
    Number,
}

/// The values of `target_type`; used only to describe the field in the
/// schema.
#[derive(JsonSchema)]
#[schemars(rename = "TargetType", rename_all = "snake_case")]
#[allow(dead_code)]
enum TargetTypeName {
    Queue,
    Sip,
    Extension,
    Number,
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
    optional("target_type", Text),
    optional("timeout_ms", Millis),
    optional("attach", Variables),
    optional("busy", PromptRef),
    optional("no_answer", PromptRef),
];

impl RawTransfer {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawTransfer {
            transfer: value,
            target_type: entries.text("target_type"),
            timeout_ms: entries.millis("timeout_ms"),
            attach: entries.names("attach"),
            busy: entries.text("busy"),
            no_answer: entries.text("no_answer"),
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
            "busy" => &self.busy,
            "no_answer" => &self.no_answer,
            "target_type" => return self.target_type.as_ref().map(|_| Written::Value),
            "timeout_ms" => return self.timeout_ms.as_ref().map(|_| Written::Value),
            "attach" => return first_of(&self.attach),
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
        let target = Template::parse(
            cx,
            f.value(),
            "the transfer target",
            Unknown::Warn,
            &mut found,
        );
        let target_type = self.target_type.as_ref().and_then(|t| {
            let parsed = t.get_ref().parse().ok();
            if parsed.is_none() {
                found.error(
                    t.span(),
                    None,
                    format!(
                        "target_type {:?} is none of \"queue\", \"sip\", \"extension\", \"number\"",
                        t.get_ref()
                    ),
                );
            }
            parsed
        });
        let timeout = self.timeout_ms.as_ref().map(|ms| {
            let v = *ms.get_ref();
            if !(1000..=600_000).contains(&v) {
                found.error(
                    ms.span(),
                    None,
                    format!("timeout_ms = {v} is no usable ringing time: it must be from 1000 to 600000 ms"),
                );
            }
            Duration::from_millis(u64::try_from(v.clamp(1000, 600_000)).unwrap_or(1000))
        });
        for a in &self.attach {
            if !fill::known(cx, a.get_ref()) {
                found.error(
                    a.span(),
                    None,
                    format!(
                        "attach {:?}: no variable of this flow (a default, a required variable, one a step gives, or \"caller\"/\"callee\")",
                        a.get_ref()
                    ),
                );
            }
        }
        found.done(StepKind::Transfer(TransferStep {
            target,
            target_type,
            timeout,
            attach: names_of(&self.attach),
            busy: f.given("busy").map(PromptIx::new),
            no_answer: f.given("no_answer").map(PromptIx::new),
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

/// The consent question (`confirming_transfer`, by the rules every
/// consent question shares, `CallOps::consent`), then on yes the wait
/// for the PBX's result (`transferring`).
impl StepBehaviour for TransferStep {
    /// At the consent question a goodbye is a no (N10); once the transfer
    /// is sent the caller is with the PBX or its queue, and their words are
    /// not ours to answer.
    fn on_goodbye(&self, _progress: &Progress) -> OnGoodbye {
        OnGoodbye::Own
    }

    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, progress: &Progress) -> CallState {
        if progress.agreed {
            CallState::Transferring
        } else {
            CallState::ConfirmingTransfer
        }
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.fallback]
    }

    fn listens(&self) -> bool {
        true
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        at.yes_no()
    }

    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        TransferStep::check_norms(self, at.flow, at.span.clone(), found);
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("transfer? {}", at.prompt(self.consent)));
        let done = format!("{}_transferred", at.id);
        g.node(
            done.clone(),
            vec![format!("transfer to {}", self.target)],
            NodeShape::End,
        );
        g.edge(&at.id, &done, Some("yes"), false);
        let back = g.back_node();
        let declined = format!("no, {}", at.prompt(self.declined));
        g.edge(&at.id, &back, Some(&declined), false);
        let fallback = at.step_id(g, self.fallback);
        let failed = format!("failed, {}", at.prompt(self.failed));
        g.edge(&done, &fallback, Some(&failed), false);
        g.silence(at.flow, &at.id, self.consent);
    }

    fn waits_for(&self, _flow: &Flow, state: CallState) -> Option<WaitsFor> {
        if state != CallState::Transferring {
            return None;
        }
        Some(WaitsFor::Result(TransferStep::WAITS_FOR.into()))
    }

    /// Says why and asks (N10).
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.say_step(self.consent);
        call.listen();
        Entered::Phase(call.wait(Progress::default()))
    }

    /// Asked: yes (or asking for a person) → the transfer; no → back to
    /// the step that asked; other words → the question again, a few
    /// times, then it counts as no. Sent: connected → the call is over
    /// for us; failed → the apology (for its cause, where the step has
    /// one, else `failed`) and `fallback`.
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        if !progress.agreed {
            let estimate = call.flow().roles().transfer_wait;
            return match call.consent(self.consent, true, estimate, progress) {
                Ok(YesNo::Yes) => {
                    call.send_transfer(self);
                    progress.agreed = true;
                    call.stay()
                }
                Ok(YesNo::No | YesNo::Neither) => {
                    call.say(self.declined);
                    call.back_to_ask()
                }
                Err(next) => next,
            };
        }
        match input {
            StepInput::TransferResult {
                connected: true, ..
            } => call.transferred(),
            StepInput::TransferResult {
                connected: false,
                cause,
            } => {
                let specific = match cause {
                    Some(TransferCause::Busy) => self.busy,
                    Some(TransferCause::NoAnswer) => self.no_answer,
                    Some(TransferCause::Rejected | TransferCause::Failed) | None => None,
                };
                call.say(specific.unwrap_or(self.failed));
                call.go(self.fallback)
            }
            // The caller is with the transfer target or in its queue now,
            // so the time limit is theirs too.
            StepInput::Silence
            | StepInput::Heard(_)
            | StepInput::Unclear
            | StepInput::Audio
            | StepInput::TimeLimit => call.stay(),
            StepInput::Started
            | StepInput::LookupResult { .. }
            | StepInput::RecordingResult { .. }
            | StepInput::HoldResult { .. }
            | StepInput::Call => call.pass(),
        }
    }
}
