//! `lookup`: ask the front-end for data (a bill, a ticket) and wait for
//! its `lookup_result`; the caller hears `wait` when it takes long (N11).
//! The wait is on the call's clock: a listen for the quiet time, the
//! "please hold" words, then a listen for what is left of the timeout.

use std::{sync::Arc, time::Duration};

use schemars::JsonSchema;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{Heard, ListenFor, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Gives,
    Holds::{PromptRef, StepRef, Variables},
    Listening, OnGoodbye, Progress, RawKind, StepBehaviour, StepInput, StepKindSpec, WaitsFor,
    Written, first_of, names_of, optional, required, schema_of,
};

/// Ask the front-end for data while the caller waits.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "LookupStep")]
pub struct RawLookup {
    /// Ask the front-end for this data (e.g. "bill") and wait for its
    /// `lookup_result`.
    #[schemars(with = "String")]
    pub lookup: Sp<String>,
    /// The variables sent with the lookup ("caller" and "callee" are the
    /// call's numbers).
    #[schemars(default)]
    #[schemars(with = "Vec<String>")]
    pub params: Vec<Sp<String>>,
    /// The variables the answer brings (e.g. "amount"); the prompts after
    /// the step may say them. An answer that says ok without one of them
    /// counts as failed.
    #[schemars(default)]
    #[schemars(with = "Vec<String>")]
    pub gives: Vec<Sp<String>>,
    /// What the caller hears once the answer takes longer than
    /// `lookup_quiet_ms`: the hold request and thanks (N11).
    #[schemars(with = "Option<String>")]
    pub wait: Option<Sp<String>>,
    /// The prompt apologising for the wait on resuming (N11).
    #[schemars(with = "Option<String>")]
    pub resume: Option<Sp<String>>,
    /// The step to go on to when the answer came.
    #[schemars(with = "Option<String>")]
    pub next: Option<Sp<String>>,
    /// The step when the lookup failed or no answer came.
    #[schemars(with = "Option<String>")]
    pub failed: Option<Sp<String>>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `lookup` step: data asked of the front-end while the caller
/// waits.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LookupStep {
    pub name: Arc<str>,
    /// Variable names sent with their values.
    pub params: Arc<[Arc<str>]>,
    /// Variables an ok answer must bring.
    pub gives: Arc<[Arc<str>]>,
    /// Said once the answer takes longer than `lookup_quiet` (N11).
    pub wait: PromptIx,
    /// The apology on resuming after `wait` was said (N11).
    pub resume: PromptIx,
    pub next: StepIx,
    pub failed: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "lookup",
    fields: FIELDS,
    take: |value, entries| Box::new(RawLookup::take(value, entries)),
    schema: schema_of::<RawLookup>,
};

const FIELDS: &[Field] = &[
    optional("params", Variables),
    optional("gives", Variables),
    required(
        "wait",
        PromptRef,
        Some("N11"),
        "a caller kept waiting for the answer is asked to hold on and thanked",
    ),
    required(
        "resume",
        PromptRef,
        Some("N11"),
        "we apologise for the wait when resuming",
    ),
    required("next", StepRef, None, "the step after the answer"),
    required(
        "failed",
        StepRef,
        None,
        "the step when the lookup fails or no answer comes",
    ),
];

impl RawLookup {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawLookup {
            lookup: value,
            params: entries.names("params"),
            gives: entries.names("gives"),
            wait: entries.text("wait"),
            resume: entries.text("resume"),
            next: entries.text("next"),
            failed: entries.text("failed"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawLookup {
    fn value(&self) -> &Sp<String> {
        &self.lookup
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        let text = match key {
            "params" => return first_of(&self.params),
            "gives" => return first_of(&self.gives),
            "wait" => &self.wait,
            "resume" => &self.resume,
            "next" => &self.next,
            "failed" => &self.failed,
            _ => return None,
        };
        text.as_ref().map(Written::Name)
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn gives(&self) -> &[Sp<String>] {
        &self.gives
    }

    /// Asks the front-end for data; its params must be variables the call
    /// has.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        if f.value().get_ref().trim().is_empty() {
            found.error(f.value().span(), None, "lookup name is empty".into());
        }
        for p in &self.params {
            let n = p.get_ref();
            if !matches!(n.as_str(), "caller" | "callee") && !cx.knows_variable(n) {
                found.error(p.span(), None, format!("lookup param {n:?} is no variable of this flow (a default, a required variable, one a step gives, or \"caller\"/\"callee\")"));
            }
        }
        found.done(StepKind::Lookup(LookupStep {
            name: f.value().get_ref().trim().into(),
            params: names_of(&self.params),
            gives: names_of(&self.gives),
            wait: f.prompt("wait"),
            resume: f.prompt("resume"),
            next: f.step("next"),
            failed: f.step("failed"),
        }))
    }
}

impl StepBehaviour for LookupStep {
    /// The lookup's result no longer matters to a caller who is leaving:
    /// the close, after the resume apology if they were asked to hold on.
    fn on_goodbye(&self, progress: &Progress) -> OnGoodbye {
        if progress.told {
            OnGoodbye::CloseAfter(self.resume)
        } else {
            OnGoodbye::Close
        }
    }

    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, _progress: &Progress) -> CallState {
        CallState::LookingUp
    }

    fn gives(&self, name: &str) -> Gives<'_> {
        Gives::any_value_if(self.gives.iter().any(|g| **g == *name))
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.next, self.failed]
    }

    fn listens(&self) -> bool {
        true
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        at.yes_no()
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("lookup {}", self.name));
        at.edge_to(g, self.next, Some("answered"));
        let failed = format!("failed or no answer (after {})", at.prompt(self.wait));
        at.edge_to(g, self.failed, Some(&failed));
    }

    /// What a simulated call waits for during the lookup, and the
    /// commands that give it (`callscript simulate`).
    fn waits_for(&self, _flow: &super::super::Flow, state: CallState) -> Option<WaitsFor> {
        if state != CallState::LookingUp {
            return None;
        }
        Some(WaitsFor::Result(format!(
            "waiting for the lookup: /lookup {} ok name=value … or /lookup {} failed; /silence lets the wait run on",
            self.name, self.name
        )))
    }

    /// The request, then silence for `lookup_quiet` (or at once the
    /// `wait` prompt, when there is no quiet time).
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.lookup(&self.name, &self.params);
        let timing = call.flow().timing();
        let (quiet, timeout) = (timing.lookup_quiet, timing.lookup_timeout);
        let (wait, told) = if quiet.is_zero() {
            call.say_step(self.wait);
            (timeout, true)
        } else {
            (quiet, false)
        };
        call.listen_for(wait);
        let until = call.deadline_after(wait);
        Entered::Phase(call.wait(Progress {
            until,
            told,
            ..Progress::default()
        }))
    }

    /// The answer → the apology if the caller was asked to wait, then
    /// `next` (ok, with every variable it gives) or `failed`; the quiet
    /// time passed → the `wait` prompt (N11: please hold, thanks); no
    /// answer by `lookup_timeout` → the apology and `failed`. Words get
    /// the agent number (N14) and nothing else: the answer is seconds away.
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        match input {
            StepInput::LookupResult {
                name,
                ok,
                variables,
            } if *name == *self.name => {
                call.merge(variables);
                let answered = ok && call.has_all(&self.gives);
                if progress.told {
                    call.say(self.resume);
                }
                call.go(if answered { self.next } else { self.failed })
            }
            // Another lookup's late answer.
            StepInput::LookupResult { .. } => call.stay(),
            StepInput::Silence if !progress.told => {
                progress.told = true;
                call.say(self.wait);
                let timing = call.flow().timing();
                let left = timing.lookup_timeout.saturating_sub(timing.lookup_quiet);
                progress.until = call.deadline_after(left);
                call.listen_for(left.max(Duration::from_millis(1)));
                call.stay()
            }
            StepInput::Silence => {
                call.say(self.resume);
                call.go(self.failed)
            }
            StepInput::Heard(heard) => {
                self.words(heard, progress.until, call);
                call.stay()
            }
            StepInput::Unclear | StepInput::Audio => call.stay(),
            StepInput::Started
            | StepInput::RecordingResult { .. }
            | StepInput::HoldResult { .. }
            | StepInput::TransferResult { .. }
            | StepInput::TimeLimit
            | StepInput::Call => call.pass(),
        }
    }
}

impl LookupStep {
    /// Words while the lookup runs: the agent number is answered (N14).
    fn words<C: CallOps>(&self, heard: Heard<'_>, until: u64, call: &mut C) {
        let understood = call.understand(heard);
        let roles = call.flow().roles();
        if let (Some(i), Some(number)) = (roles.agent_number_intent, roles.agent_number)
            && understood.contains(i)
        {
            call.say(number);
            call.listen_until(until);
        }
    }
}
