//! `hold`: ask before holding, thank, apologise on resuming (N11); only a
//! reported `hold_result` ends the hold.

use std::{sync::Arc, time::Duration};

use schemars::JsonSchema;

use super::super::compile::{
    Checked, Findings, settings::check_millis, steps::StepContext, steps::StepFields,
};
use super::super::{Flow, Heard, IntentIx, ListenFor, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Gives,
    Holds::{Millis, PromptRef, StepRef, Variables},
    Listening, Need, NodeShape, NormsAt, OnGoodbye, Progress, RawKind, StepBehaviour, StepInput,
    StepKindSpec, WaitsFor, Written, YesNo, first_of, names_of, optional, required, schema_of,
    yes_no_question,
};

/// Put the caller on hold, with their consent (N11).
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "HoldStep")]
pub struct RawHold {
    /// Ask with this prompt before putting the caller on hold (N11).
    #[schemars(with = "String")]
    pub hold: Sp<String>,
    /// The prompt thanking the caller for holding (N11).
    #[schemars(with = "Option<String>")]
    pub thanks: Option<Sp<String>>,
    /// The prompt apologising for the wait on resuming (N11).
    #[schemars(with = "Option<String>")]
    pub resume: Option<Sp<String>>,
    /// The step to go on to when the work is done.
    #[schemars(with = "Option<String>")]
    pub next: Option<Sp<String>>,
    /// The step when the caller does not want to hold.
    #[schemars(with = "Option<String>")]
    pub declined: Option<Sp<String>>,
    /// The time promised to the caller, in milliseconds; when it passes
    /// with no `hold_result`, the caller hears `overdue` and the hold goes
    /// on for as long again.
    #[schemars(with = "Option<i64>", range(min = 1000, max = 600000))]
    pub hold_ms: Option<Sp<i64>>,
    /// The step when the work failed.
    #[schemars(with = "Option<String>")]
    pub failed: Option<Sp<String>>,
    /// What the caller hears when the hold outlasts its promise
    /// (`hold_ms`): an apology, the new estimate and a callback offer.
    #[schemars(with = "Option<String>")]
    pub overdue: Option<Sp<String>>,
    /// The answer to a caller who asks during the hold how long it takes
    /// (the estimate).
    #[schemars(with = "Option<String>")]
    pub progress: Option<Sp<String>>,
    /// The step when the caller takes the callback offer.
    #[schemars(with = "Option<String>")]
    pub callback: Option<Sp<String>>,
    /// The variables the result brings (e.g. "ticket"); the prompts after
    /// the step may say them. A result that says ok without one of them
    /// counts as failed.
    #[schemars(default)]
    #[schemars(with = "Vec<String>")]
    pub gives: Vec<Sp<String>>,
    /// May caller speech interrupt this step's prompt; default true.
    pub barge_in: Option<bool>,
}

/// A compiled `hold` step (N11): asked first, thanked, ended only by a
/// reported result; `duration` is the promise told to the caller and the
/// check-in interval.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HoldStep {
    pub ask: PromptIx,
    pub thanks: PromptIx,
    pub resume: PromptIx,
    pub duration: Duration,
    /// The work is done (`hold_result` ok).
    pub next: StepIx,
    pub declined: StepIx,
    /// The work failed (`hold_result` not ok).
    pub failed: StepIx,
    /// The promise has passed: apology, new estimate, callback offer.
    pub overdue: PromptIx,
    /// The answer to "how long?".
    pub progress: PromptIx,
    /// The caller takes the callback offer.
    pub callback: StepIx,
    /// Variables an ok result must bring.
    pub gives: Arc<[Arc<str>]>,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "hold",
    fields: FIELDS,
    take: |value, entries| Box::new(RawHold::take(value, entries)),
    schema: schema_of::<RawHold>,
};

const FIELDS: &[Field] = &[
    required(
        "thanks",
        PromptRef,
        Some("N11"),
        "we thank the caller for agreeing to hold",
    ),
    required(
        "resume",
        PromptRef,
        Some("N11"),
        "we apologise for the wait when resuming",
    ),
    required("next", StepRef, None, "the step after the hold"),
    required(
        "declined",
        StepRef,
        Some("N11"),
        "the step when the caller does not want to hold",
    ),
    // The promise told to the caller; no norm sets its length.
    Field {
        key: "hold_ms",
        holds: Millis,
        need: Need::Required {
            norm: None,
            why: None,
        },
    },
    required(
        "failed",
        StepRef,
        Some("N11"),
        "the step when the work behind the hold failed (never claim a success nobody reported)",
    ),
    required(
        "overdue",
        PromptRef,
        Some("N11"),
        "when the hold outlasts hold_ms the caller hears an apology, the new estimate and a callback offer",
    ),
    required(
        "progress",
        PromptRef,
        Some("N11"),
        "a caller who asks how long it takes hears the estimate",
    ),
    required(
        "callback",
        StepRef,
        Some("N11"),
        "the step when the caller takes the callback offer",
    ),
    optional("gives", Variables),
];

impl RawHold {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawHold {
            hold: value,
            thanks: entries.text("thanks"),
            resume: entries.text("resume"),
            next: entries.text("next"),
            declined: entries.text("declined"),
            hold_ms: entries.millis("hold_ms"),
            failed: entries.text("failed"),
            overdue: entries.text("overdue"),
            progress: entries.text("progress"),
            callback: entries.text("callback"),
            gives: entries.names("gives"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawHold {
    fn value(&self) -> &Sp<String> {
        &self.hold
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        let text = match key {
            "hold_ms" => return self.hold_ms.as_ref().map(|_| Written::Value),
            "gives" => return first_of(&self.gives),
            "thanks" => &self.thanks,
            "resume" => &self.resume,
            "next" => &self.next,
            "declined" => &self.declined,
            "failed" => &self.failed,
            "overdue" => &self.overdue,
            "progress" => &self.progress,
            "callback" => &self.callback,
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

    /// N11: asks before holding, thanks, apologises on resuming; its end
    /// comes from the front-end or the back office.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let ask = found.take(cx.prompt(f.value()));
        let duration = found.take(check_millis(
            cx.source(),
            &self.hold_ms,
            "hold_ms",
            1000..600_001,
            Duration::ZERO,
        ));
        found.done(StepKind::Hold(HoldStep {
            ask,
            thanks: f.prompt("thanks"),
            resume: f.prompt("resume"),
            duration,
            next: f.step("next"),
            declined: f.step("declined"),
            failed: f.step("failed"),
            overdue: f.prompt("overdue"),
            progress: f.prompt("progress"),
            callback: f.step("callback"),
            gives: names_of(&self.gives),
        }))
    }
}

/// The consent question (`confirming_hold`, by the rules every consent
/// question shares, `CallOps::consent`), then on yes the hold until its
/// result (`on_hold`).
impl StepBehaviour for HoldStep {
    /// At the consent question a goodbye is a no (N11); on hold it ends
    /// the wait: the resume apology, then the close (the work's result no
    /// longer matters to a caller who is leaving).
    fn on_goodbye(&self, progress: &Progress) -> OnGoodbye {
        if progress.agreed {
            OnGoodbye::CloseAfter(self.resume)
        } else {
            OnGoodbye::Own
        }
    }

    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, progress: &Progress) -> CallState {
        if progress.agreed {
            CallState::OnHold
        } else {
            CallState::ConfirmingHold
        }
    }

    fn gives(&self, name: &str) -> Gives<'_> {
        Gives::any_value_if(self.gives.iter().any(|g| **g == *name))
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.next, self.declined, self.failed, self.callback]
    }

    fn listens(&self) -> bool {
        true
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        at.yes_no()
    }

    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        yes_no_question(at, "N11", found);
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("hold? {}", at.prompt(self.ask)));
        let held = format!("{}_on_hold", at.id);
        g.node(
            held.clone(),
            vec![format!("on hold {} s", self.duration.as_secs())],
            NodeShape::Marker,
        );
        let thanks = format!("yes, {}", at.prompt(self.thanks));
        g.edge(&at.id, &held, Some(&thanks), false);
        let edges = [
            (self.next, format!("done, {}", at.prompt(self.resume))),
            (self.failed, format!("failed, {}", at.prompt(self.resume))),
            (
                self.callback,
                format!("overdue {}, callback", at.prompt(self.overdue)),
            ),
        ];
        for (to, label) in edges {
            let to = at.step_id(g, to);
            g.edge(&held, &to, Some(&label), false);
        }
        at.edge_to(g, self.declined, Some("no"));
        g.silence(at.flow, &at.id, self.ask);
    }

    fn waits_for(&self, _flow: &Flow, state: CallState) -> Option<WaitsFor> {
        if state != CallState::OnHold {
            return None;
        }
        Some(WaitsFor::Result(self.while_holding()))
    }

    /// Asks whether the caller may hold (N11).
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.say_step(self.ask);
        call.listen();
        Entered::Phase(call.wait(Progress::default()))
    }

    /// Only a reported `hold_result` ends the hold: the apology, then
    /// `next` (done, with every variable it gives) or `failed`. When the
    /// promise (`hold_ms`) passes: the apology with the new estimate and a
    /// callback offer, and the hold goes on. Words get an answer and the
    /// hold goes on (`words`). Hold music hides the caller's audio, so
    /// there is nothing to fix on hold.
    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        if !progress.agreed {
            return self.asked(progress, call);
        }
        match input {
            StepInput::HoldResult { ok, variables } => {
                call.merge(variables);
                let done = ok && call.has_all(&self.gives);
                call.say(self.resume);
                call.go(if done { self.next } else { self.failed })
            }
            StepInput::Silence => {
                call.say(self.overdue);
                progress.told = true;
                progress.until = call.deadline_after(self.duration);
                call.listen_for(self.duration);
                call.stay()
            }
            StepInput::Heard(heard) => self.words(heard, progress, call),
            StepInput::Unclear | StepInput::Audio => call.stay(),
            StepInput::Started
            | StepInput::LookupResult { .. }
            | StepInput::RecordingResult { .. }
            | StepInput::TransferResult { .. }
            | StepInput::TimeLimit
            | StepInput::Call => call.pass(),
        }
    }
}

impl HoldStep {
    /// Asked whether the caller may hold (N11): yes → thanks, and the hold
    /// for `hold_ms`; no → `declined`; other words → the question again.
    fn asked<C: CallOps>(&self, progress: &mut Progress, call: &mut C) -> C::Next {
        let estimate = call.flow().roles().hold_wait;
        match call.consent(self.ask, false, estimate, progress) {
            Ok(YesNo::Yes) => {
                call.say(self.thanks);
                call.listen_for(self.duration);
                *progress = Progress {
                    until: call.deadline_after(self.duration),
                    agreed: true,
                    ..Progress::default()
                };
                call.stay()
            }
            Ok(YesNo::No | YesNo::Neither) => call.go(self.declined),
            Err(next) => next,
        }
    }

    /// Words during a hold: the callback taken (asked for, or a yes to
    /// the offer) → the `callback` step; a person asked for → the
    /// transfer's consent question (N10); the agent number → the number
    /// (N14); a no to the offer → the estimate, hold on; anything else
    /// (还要多久) → the estimate. Each after the apology for the wait where
    /// the hold ends (N11). Never a claim that the work is done.
    fn words<C: CallOps>(
        &self,
        heard: Heard<'_>,
        progress: &mut Progress,
        call: &mut C,
    ) -> C::Next {
        let understood = call.understand(heard);
        let (answer, requests) = call.yes_or_no(understood);
        let roles = call.flow().roles();
        let (callback, agent, person) = (roles.callback, roles.agent, roles.person);
        let number = roles.agent_number_intent.zip(roles.agent_number);
        let has = |role: Option<IntentIx>| {
            role.is_some_and(|r| requests.contains(r) || understood.contains(r))
        };
        let offered = progress.told;
        if has(callback) || (offered && answer == YesNo::Yes) {
            call.say(self.resume);
            return call.go(self.callback);
        }
        if has(agent)
            && let Some(person) = person
        {
            call.say(self.resume);
            return call.go(person);
        }
        match number {
            Some((intent, number)) if has(Some(intent)) => call.say(number),
            // Holding on: the estimate again, not the thanks that starts a
            // hold (the caller agreed to that once).
            Some(_) | None => {
                if offered && answer == YesNo::No {
                    progress.told = false;
                }
                call.say(self.progress);
            }
        }
        call.listen_until(progress.until);
        call.stay()
    }
}

impl HoldStep {
    /// What a simulated call on hold waits for, and the commands that
    /// give it (`callscript simulate`).
    pub fn while_holding(&self) -> String {
        format!(
            "on hold ({} s promised): /hold ok or /hold failed ends it; /silence lets the promise pass; the caller may ask how long, for the agent number or a person",
            self.duration.as_secs()
        )
    }
}
