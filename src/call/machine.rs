//! The call machine (statig, blocking variant).
//!
//! States are phases of a call: `at_step`, where the step's kind decides
//! each input (its data is read from the flow by the step's index; the
//! state keeps its counters, `Progress`), and the phases no kind owns
//! (ringing, the wait after a goodbye, the audio questions, ended).
//! Everything any phase may meet (hang-ups, audio trouble, the operator,
//! the time limit) lives in the `in_call` superstate. `face` is what the
//! engine calls (`CallMachine`); shared helpers are in `shared` (consent
//! questions among them), what happens to understood words at a step in
//! `respond`, the call's clock for waits in `waiting`,
//! the questions audio trouble asks in `audio`, words at the close in
//! `closing`, and `at_step`, the one phase of every kind that decides its
//! inputs itself (in the kind's own file, `flow/steps/<kind>.rs`).
//!
//! ```text
//! ringing ─Start→ at_step ⇄ (the step's kind decides: ask, menu, collect,
//!   lookup, record, pause…; answers lead from step to step)
//!   at_step (transfer: confirming_transfer ─yes→ transferring) ─connected→ ended
//!   at_step (hold: confirming_hold ─yes→ on_hold) ─hold_result→ (next or failed step)
//!   at_step (close: closing) ─no/goodbye/silence→ awaiting_hangup ─caller hangs up→ ended
//!   at_step ─caller's goodbye→ awaiting_hangup (the close's goodbye)
//!     awaiting_hangup ─real request→ (more) ; goodbye, thanks, 嗯 → (waits on)
//!   any ─weak audio ×N→ confirming_switch ─yes→ goodbye, ended   (N7)
//!   any ─no audio→ checking_handset ─yes→ (step again)            (N8)
//!   any ─bounds reached→ a person (consent) or a polite close
//!   any ─caller hangs up→ ended
//! ```

mod at_step;
mod audio;
mod closing;
mod face;
mod rarely;
mod respond;
mod shared;
mod subflow;
mod transfer;
mod variables;
mod waiting;

pub use face::{CallMachine, CallSetup};

use std::{cell::Cell, sync::Arc, time::Duration};

use statig::prelude::*;

use super::{Action, AudioKind, EndReason, Event, Vars, understanding::Input};
use crate::{
    calendar::DayPart,
    flow::{Flow, LocaleIx, Progress, PromptIx, StepIx, matcher::Understood},
};

/// Whether the caller made themselves heard at all, even unclearly: such a
/// line is not silent, so the silence count (N5) starts again. Otherwise a
/// caller asked to speak up (N7) could be hung up on as silent without the
/// silence goodbye.
fn caller_sound(event: &Event) -> bool {
    matches!(
        event,
        Event::Speech { .. }
            | Event::Dtmf { .. }
            | Event::Audio(AudioKind::Weak | AudioKind::Noisy | AudioKind::UnknownLanguage)
    )
}

/// Events after which the time limit has nothing left to close.
fn ends_the_call(event: &Event) -> bool {
    matches!(
        event,
        Event::CallerHangup | Event::OperatorHangup | Event::FrontEndLost | Event::Shutdown
    )
}

/// The outbox the machine writes its actions into.
type Outbox = Vec<Action>;

/// Shared storage: what every phase of one call needs.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Script {
    #[serde(
        serialize_with = "super::snapshot::serialize_flow",
        deserialize_with = "super::snapshot::deserialize_flow"
    )]
    flow: Arc<Flow>,
    locale: LocaleIx,
    opening: Option<PromptIx>,
    day_part: DayPart,
    start: StepIx,
    /// The last step that asked the caller something: where a declined
    /// transfer returns to (N10).
    last_ask: StepIx,
    /// Whether the opening was said; re-asking the first step later uses the
    /// shorter silence reprompt instead of welcoming the caller twice.
    opened: bool,
    /// The call started outside opening hours: its first step says the
    /// calendar's after-hours opening (`opening`) instead of its own prompt.
    after_hours: bool,
    /// Unclear-audio attempts since the caller was last heard clearly (N7).
    /// Shared, not state-local: a hold or a transfer question in between
    /// does not make the line any clearer.
    unclear: u8,
    /// Requests to speak Mandarin since the caller was last understood (N9).
    language: u8,
    /// Turns in a row whose words matched nothing.
    not_understood: u8,
    /// Nuisance turns in a row (N15).
    nuisance: u8,
    /// Visits to each step (`max_step_visits`).
    visits: Box<[u8]>,
    /// Requests said alongside an answer, handled at the next step that
    /// listens (never dropped).
    pending: Understood,
    /// The last prompt said: what "say again" repeats.
    last_said: Option<PromptIx>,
    /// What the current event was understood as.
    heard: Understood,
    /// The `say` step's prompt (a bill, a ticket number) in the last turn
    /// that said anything: what "say again" repeats before the question.
    #[serde(default)]
    told: Option<PromptIx>,
    /// Whether this turn said anything yet (a new turn's first words
    /// forget `told`).
    #[serde(default)]
    spoke: bool,
    /// Whether the recogniser ever heard the caller's words (clear or
    /// not): their phone has sound, so N5's third prompt must not say it
    /// has none (issue 25). Keys alone prove no microphone.
    #[serde(default)]
    caller_spoke: bool,
    ended: Option<EndReason>,
    /// This call's own variables: StartCall's, then `data` events and
    /// lookup and hold answers, `set` steps and recordings.
    vars: rarely::Rarely<Vars>,
    /// The `call` steps of the subflows the call is inside, innermost
    /// last (at most `MAX_SUBFLOW_DEPTH`).
    #[serde(default)]
    frames: rarely::Rarely<Vec<StepIx>>,
    caller: Arc<str>,
    callee: Arc<str>,
    /// Time since the call started, as the current event was given: what
    /// a hold or a lookup measures its wait from. A `Cell` because the
    /// machine sets it before dispatch, through shared access.
    now: Cell<Duration>,
    /// The menus the caller went through, for `@back` (bounded).
    #[serde(default)]
    menus: rarely::Rarely<Vec<StepIx>>,
    /// The variables the current event set or changed (a turn shows them).
    #[serde(default)]
    changed: rarely::Rarely<std::collections::BTreeMap<String, String>>,
}

#[state_machine(
    initial = "State::ringing()",
    state(derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)),
    superstate(derive(Debug)),
    before_dispatch = "Self::before_dispatch",
    after_transition = "Self::after_transition"
)]
impl Script {
    /// Before the call is answered. `Start` → the first step (N1).
    #[state]
    fn ringing(&mut self, context: &mut Outbox, event: &Event) -> Outcome<State> {
        match event {
            Event::Start => Transition(self.enter(self.start, context)),
            Event::PromptPlayed
            | Event::InputStarted
            | Event::Speech { .. }
            | Event::Dtmf { .. }
            | Event::NoInput
            | Event::Audio(_)
            | Event::TransferResult { .. }
            | Event::Data { .. }
            | Event::LookupResult { .. }
            | Event::HoldResult { .. }
            | Event::RecordingResult { .. }
            | Event::CallerHangup
            | Event::OperatorHangup
            | Event::FrontEndLost
            | Event::Shutdown
            | Event::TimeLimit => Handled,
        }
    }

    /// At a step whose kind decides what each input does (ask, menu,
    /// collect, lookup, record…: `StepBehaviour::on_input` in the kind's
    /// file, through `at_step`). What it does not take goes to `in_call`.
    #[state(superstate = "in_call")]
    fn at_step(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        progress: &mut Progress,
        event: &Event,
    ) -> Outcome<State> {
        self.step_event(context, *step, progress, event)
    }

    /// Goodbye said; the caller hangs up first (N12). If they leave the
    /// line open past the wait, we hang up, for `then` (N15: the line left
    /// open; N7: the poor line the caller agreed to leave); if they speak
    /// after an N12 goodbye with a real request, we help (`more`), and
    /// their goodbye, thanks or filler gets nothing (`closing`); after a
    /// final goodbye we only wait.
    #[state(superstate = "in_call")]
    fn awaiting_hangup(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        more: &mut Option<StepIx>,
        then: &mut EndReason,
        event: &Event,
    ) -> Outcome<State> {
        let _ = step;
        match (self.input(event), *more, event) {
            (_, _, Event::NoInput) => self.end(*then, true, context),
            (Input::Clear(heard), Some(more), _) => {
                self.words_after_goodbye(more, event, heard, context)
            }
            // Mumbling after the goodbye is no new request: the goodbye
            // stays the last word (the property test found a speak-up
            // prompt here left the hang-up without one), and the wait
            // starts again from the caller's last sound.
            (Input::Unclear, _, _) | (Input::Clear(_), None, _) | (_, _, Event::Audio(_)) => {
                self.wait_for_hangup(context);
                Handled
            }
            (
                _,
                _,
                Event::Start
                | Event::PromptPlayed
                | Event::InputStarted
                | Event::Speech { .. }
                | Event::Dtmf { .. }
                | Event::TransferResult { .. }
                | Event::Data { .. }
                | Event::LookupResult { .. }
                | Event::HoldResult { .. }
                | Event::RecordingResult { .. }
                | Event::CallerHangup
                | Event::OperatorHangup
                | Event::FrontEndLost
                | Event::Shutdown
                | Event::TimeLimit,
            ) => Super,
        }
    }

    /// Asked the caller to call from another phone (N7); the answers are
    /// in `audio`.
    #[state(superstate = "in_call")]
    fn confirming_switch(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        self.switch_phones(context, *step, silent, event)
    }

    /// Asked whether the handset is picked up (N8); the answers are in
    /// `audio`.
    #[state(superstate = "in_call")]
    fn checking_handset(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        self.handset(context, *step, silent, event)
    }

    /// Every phase of a live call: hang-ups, the operator, the front-end
    /// leaving, the time limit, and audio trouble (N7-N9), which returns
    /// to `step`.
    #[superstate]
    fn in_call(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        event: &Event,
    ) -> Outcome<State> {
        match event {
            Event::CallerHangup => self.end(EndReason::CallerHangup, false, context),
            Event::OperatorHangup => self.end(EndReason::Operator, true, context),
            Event::FrontEndLost => self.end(EndReason::FrontEndLost, false, context),
            Event::Shutdown => self.end(EndReason::Shutdown, true, context),
            Event::Data { variables } => {
                self.merge(variables);
                Handled
            }
            Event::TimeLimit => {
                let bye = self.flow.roles().polite_close;
                self.say(bye, context);
                self.end(EndReason::TimeLimit, true, context)
            }
            Event::Audio(AudioKind::UnknownLanguage) => self.other_language(*step, context),
            Event::Audio(AudioKind::NoAudio) => {
                let p = self.flow.roles().pick_up_handset;
                self.say(p, context);
                self.listen(context);
                Transition(State::checking_handset(*step, 0))
            }
            Event::Audio(AudioKind::Weak | AudioKind::Noisy) | Event::Speech { .. } => {
                self.unclear_audio(*step, context)
            }
            // Phase events (a prompt played, a late result) that no
            // phase below took have nothing to change.
            Event::Start
            | Event::PromptPlayed
            | Event::InputStarted
            | Event::Dtmf { .. }
            | Event::NoInput
            | Event::TransferResult { .. }
            | Event::LookupResult { .. }
            | Event::HoldResult { .. }
            | Event::RecordingResult { .. } => Handled,
        }
    }

    /// The call is over; nothing changes it any more.
    #[state]
    fn ended(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}
