//! The call machine (statig, blocking variant).
//!
//! States are phases of a call; the step of the script the call is at is
//! state-local storage, as is the count of silent listens (N5), which every
//! question phase handles alike. Everything any phase may meet (hang-ups,
//! audio trouble, the operator) lives in the `in_call` superstate.
//!
//! ```text
//! ringing ─Start→ listening ⇄ (answers lead from step to step)
//!   listening ─transfer step→ confirming_transfer ─yes→ transferring ─connected→ ended
//!   listening ─hold step→ confirming_hold ─yes→ on_hold ─time up→ (next step)
//!   listening ─close step→ closing ─no/silence→ awaiting_hangup ─caller hangs up→ ended
//!   any ─weak audio ×N→ confirming_switch ─yes/silence→ ended   (N7)
//!   any ─no audio→ checking_handset ─yes→ (step again)          (N8)
//!   any ─caller hangs up→ ended
//! ```

use std::sync::Arc;

use statig::prelude::*;
use tracing::trace;

use super::{Action, AudioKind, EndReason, Event, Say};
use crate::{
    calendar::DayPart,
    flow::{AskPrompt, Flow, Heard, IntentIx, LocaleIx, PromptIx, StepIx, StepKind},
};

/// How many `say` steps one turn may chain; compile rejects rings of them,
/// so this only guards against a bug.
const MAX_CHAIN: usize = 64;

/// What a call is started with, besides its flow.
#[derive(Debug, Clone)]
pub struct CallSetup {
    pub flow: Arc<Flow>,
    pub locale: LocaleIx,
    /// The calendar's opening for this call, if the flow has one.
    pub opening: Option<PromptIx>,
    pub day_part: DayPart,
}

/// A call's machine. `handle` appends the actions an event calls for.
pub struct CallMachine {
    sm: StateMachine<Script>,
}

impl CallMachine {
    pub fn new(setup: CallSetup) -> Self {
        let script = Script {
            start: setup.flow.start(),
            last_ask: setup.flow.start(),
            flow: setup.flow,
            locale: setup.locale,
            opening: setup.opening,
            day_part: setup.day_part,
            opened: false,
            unclear: 0,
            ended: None,
        };
        CallMachine {
            sm: script.state_machine(),
        }
    }

    pub fn handle(&mut self, event: &Event, out: &mut Vec<Action>) {
        self.sm.handle_with_context(event, out);
    }

    /// The phase name shown in turns and records.
    pub fn state_name(&self) -> &'static str {
        match self.sm.state() {
            State::Ringing {} => "ringing",
            State::Listening { .. } => "listening",
            State::ConfirmingTransfer { .. } => "confirming_transfer",
            State::Transferring { .. } => "transferring",
            State::ConfirmingHold { .. } => "confirming_hold",
            State::OnHold { .. } => "on_hold",
            State::Closing { .. } => "closing",
            State::AwaitingHangup { .. } => "awaiting_hangup",
            State::ConfirmingSwitch { .. } => "confirming_switch",
            State::CheckingHandset { .. } => "checking_handset",
            State::Ended {} => "ended",
        }
    }

    /// The id of the step the call is at.
    pub fn step(&self) -> Option<&Arc<str>> {
        let ix = match self.sm.state() {
            State::Listening { step, .. }
            | State::ConfirmingTransfer { step, .. }
            | State::Transferring { step }
            | State::ConfirmingHold { step, .. }
            | State::OnHold { step }
            | State::Closing { step, .. }
            | State::AwaitingHangup { step }
            | State::ConfirmingSwitch { step }
            | State::CheckingHandset { step, .. } => *step,
            State::Ringing {} | State::Ended {} => return None,
        };
        Some(&self.sm.inner().flow.step(ix).id)
    }

    pub fn ended(&self) -> Option<EndReason> {
        self.sm.inner().ended
    }

    pub fn flow(&self) -> &Arc<Flow> {
        &self.sm.inner().flow
    }

    pub fn locale(&self) -> LocaleIx {
        self.sm.inner().locale
    }
}

/// The outbox the machine writes its actions into.
type Outbox = Vec<Action>;

/// Shared storage: what every phase of one call needs.
pub struct Script {
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
    /// Unclear-audio attempts since the caller was last heard clearly (N7).
    /// Shared, not state-local: a hold or a transfer question in between
    /// does not make the line any clearer.
    unclear: u8,
    ended: Option<EndReason>,
}

#[state_machine(
    initial = "State::ringing()",
    state(derive(Debug, Clone, PartialEq)),
    superstate(derive(Debug)),
    after_transition = "Self::after_transition"
)]
impl Script {
    /// Before the call is answered. `Start` → the first step (N1).
    #[state]
    fn ringing(&mut self, context: &mut Outbox, event: &Event) -> Outcome<State> {
        match event {
            Event::Start => Transition(self.enter(self.start, context)),
            _ => Handled,
        }
    }

    /// At an `ask` step, waiting for the caller.
    /// Speech/keys → the answer's step, a request understood anywhere, or
    /// `otherwise`; greetings (N6) and agent-number requests (N14) are
    /// answered in place. Silence → reprompts, then goodbye and hang up (N5).
    #[state(superstate = "in_call")]
    fn listening(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        if caller_sound(event) {
            *silent = 0;
        }
        match self.heard(event) {
            Some(Ok(heard)) => self.respond(*step, heard, context),
            Some(Err(())) => Super,
            None => match event {
                Event::NoInput => {
                    let again = match &self.flow.step(*step).kind {
                        StepKind::Ask {
                            reprompt: Some(p), ..
                        } => *p,
                        _ => self.flow.roles().silence_reprompt,
                    };
                    self.silence(silent, again, context)
                }
                _ => Super,
            },
        }
    }

    /// Asked consent for a transfer (N10). Yes → transfer; no → back to
    /// the step that asked; silence → the question again (N5); other words
    /// → the question again, after the agent number if asked (N14).
    #[state(superstate = "in_call")]
    fn confirming_transfer(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        let StepKind::Transfer {
            target,
            reason,
            consent,
            declined,
            ..
        } = self.flow.step(*step).kind.clone()
        else {
            return Super;
        };
        match self.consent(event, silent, consent, context) {
            Consent::Yes => {
                context.push(Action::Transfer { target, reason });
                Transition(State::transferring(*step))
            }
            Consent::No => {
                self.say(declined, context);
                self.listen(context);
                Transition(State::listening(self.last_ask, 0))
            }
            Consent::Settled(outcome) => outcome,
        }
    }

    /// The transfer was sent; waiting for the front-end's result.
    /// Connected → ended; failed → apology and the fallback step.
    #[state(superstate = "in_call")]
    fn transferring(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        event: &Event,
    ) -> Outcome<State> {
        match event {
            Event::TransferResult { connected: true } => {
                self.end(EndReason::Transferred, false, context)
            }
            Event::TransferResult { connected: false } => {
                let StepKind::Transfer {
                    failed, fallback, ..
                } = self.flow.step(*step).kind
                else {
                    return Super;
                };
                self.say(failed, context);
                Transition(self.enter(fallback, context))
            }
            // The caller is with the transfer target or in its queue now.
            Event::NoInput | Event::Speech { .. } | Event::Dtmf { .. } | Event::Audio(_) => Handled,
            _ => Super,
        }
    }

    /// Asked whether the caller may hold (N11). Yes → thanks, hold;
    /// no → the `declined` step; silence → the question again; other words
    /// → the question again, after the agent number if asked (N14).
    #[state(superstate = "in_call")]
    fn confirming_hold(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        let StepKind::Hold {
            ask,
            thanks,
            duration,
            declined,
            ..
        } = self.flow.step(*step).kind.clone()
        else {
            return Super;
        };
        match self.consent(event, silent, ask, context) {
            Consent::Yes => {
                self.say(thanks, context);
                context.push(Action::Listen { timeout: duration });
                Transition(State::on_hold(*step))
            }
            Consent::No => Transition(self.enter(declined, context)),
            Consent::Settled(outcome) => outcome,
        }
    }

    /// The caller is holding. Time up, or the caller speaking → apologise
    /// for the wait (N11) and go on.
    #[state(superstate = "in_call")]
    fn on_hold(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        event: &Event,
    ) -> Outcome<State> {
        let StepKind::Hold { resume, next, .. } = self.flow.step(*step).kind else {
            return Super;
        };
        match event {
            Event::NoInput | Event::Speech { .. } | Event::Dtmf { .. } => {
                self.say(resume, context);
                Transition(self.enter(next, context))
            }
            // Hold music hides the caller's audio; nothing to fix on hold.
            Event::Audio(_) => Handled,
            _ => Super,
        }
    }

    /// Asked whether anything else is needed (N12). Yes or a new request →
    /// the `more` step; no or silence → goodbye, then wait for the caller.
    #[state(superstate = "in_call")]
    fn closing(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        event: &Event,
    ) -> Outcome<State> {
        let StepKind::Close { goodbye, more, .. } = self.flow.step(*step).kind else {
            return Super;
        };
        match (self.yes_no(event), event) {
            (Some(Ok(true)), _) => Transition(self.enter(more, context)),
            (Some(Ok(false)), _) | (None, Event::NoInput) => {
                self.say(goodbye, context);
                context.push(Action::Listen {
                    timeout: self.flow.timing().caller_hangup_wait,
                });
                Transition(State::awaiting_hangup(*step))
            }
            (Some(Err(())), _) => match self.heard(event) {
                Some(Ok(heard)) => self.respond_at(more, heard, context),
                _ => Transition(self.enter(more, context)),
            },
            _ => Super,
        }
    }

    /// Goodbye said; the caller hangs up first (N12). If they leave the
    /// line open past the wait, we hang up (N15); if they speak, we help.
    #[state(superstate = "in_call")]
    fn awaiting_hangup(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        event: &Event,
    ) -> Outcome<State> {
        let StepKind::Close { more, .. } = self.flow.step(*step).kind else {
            return Super;
        };
        match event {
            Event::NoInput => self.end(EndReason::LineLeftOpen, true, context),
            Event::Speech { .. } | Event::Dtmf { .. } => match self.heard(event) {
                Some(Ok(heard)) => self.respond_at(more, heard, context),
                _ => Super,
            },
            _ => Super,
        }
    }

    /// Asked the caller to call from another phone (N7). Agreement or 5 s
    /// of silence → hang up; a refusal → the step again; clear speech →
    /// the step it answers.
    #[state(superstate = "in_call")]
    fn confirming_switch(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        event: &Event,
    ) -> Outcome<State> {
        match (self.yes_no(event), event) {
            (Some(Ok(true)), _) | (None, Event::NoInput) => {
                self.end(EndReason::PoorAudio, true, context)
            }
            (Some(Ok(false)), _) => {
                self.unclear = 0;
                Transition(self.enter(*step, context))
            }
            (Some(Err(())), _) => match self.heard(event) {
                Some(Ok(heard)) => self.respond(*step, heard, context),
                _ => Super,
            },
            _ => Super,
        }
    }

    /// Asked whether the handset is picked up (N8). Yes → the step again;
    /// no → ask them to pick it up; silence → the silence rules (N5).
    #[state(superstate = "in_call")]
    fn checking_handset(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        let roles = self.flow.roles().clone();
        if caller_sound(event) {
            *silent = 0;
        }
        match self.yes_no(event) {
            Some(Ok(true)) => Transition(self.enter(*step, context)),
            Some(Ok(false)) => {
                self.say(roles.speak_into_handset, context);
                self.listen(context);
                Handled
            }
            Some(Err(())) => match self.heard(event) {
                Some(Ok(heard)) => self.respond(*step, heard, context),
                _ => Super,
            },
            None => match event {
                Event::NoInput => self.silence(silent, roles.pick_up_handset, context),
                _ => Super,
            },
        }
    }

    /// Every phase of a live call: hang-ups, the operator, the front-end
    /// leaving, and audio trouble (N7-N9), which always returns to `step`.
    #[superstate]
    fn in_call(
        &mut self,
        context: &mut Outbox,
        step: &mut StepIx,
        event: &Event,
    ) -> Outcome<State> {
        let roles = self.flow.roles().clone();
        match event {
            Event::CallerHangup => self.end(EndReason::CallerHangup, false, context),
            Event::OperatorHangup => self.end(EndReason::Operator, true, context),
            Event::FrontEndLost => self.end(EndReason::FrontEndLost, false, context),
            Event::Shutdown => self.end(EndReason::Shutdown, true, context),
            Event::Audio(AudioKind::UnknownLanguage) => {
                self.say(roles.mandarin, context);
                self.listen(context);
                Handled
            }
            Event::Audio(AudioKind::NoAudio) => {
                self.say(roles.pick_up_handset, context);
                self.listen(context);
                Transition(State::checking_handset(*step, 0))
            }
            Event::Audio(AudioKind::Weak | AudioKind::Noisy) => self.unclear_audio(*step, context),
            Event::Speech { .. } => self.unclear_audio(*step, context),
            _ => Handled,
        }
    }

    /// The call is over; nothing changes it any more.
    #[state]
    fn ended(event: &Event) -> Outcome<State> {
        let _ = event;
        Handled
    }
}

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

/// How a caller answered a consent question.
enum Consent {
    Yes,
    No,
    /// Not an answer; the question's own rules already dealt with it.
    Settled(Outcome<State>),
}

// === impl Script: helpers shared by the phases ===

impl Script {
    fn after_transition(&mut self, source: &State, target: &State, _context: &mut Outbox) {
        trace!(flow = %self.flow.id(), ?source, ?target, "call transition");
    }

    fn say(&self, prompt: PromptIx, out: &mut Outbox) {
        out.push(Action::Say(Say {
            prompt: self.flow.prompt(prompt).clone(),
            locale: self.locale,
            barge_in: true,
        }));
    }

    fn listen(&self, out: &mut Outbox) {
        out.push(Action::Listen {
            timeout: self.flow.timing().no_input,
        });
    }

    /// Ends the call; `we_hang_up` adds the hang-up action (not when the
    /// caller already hung up, or the call left us by transfer).
    fn end(&mut self, reason: EndReason, we_hang_up: bool, out: &mut Outbox) -> Outcome<State> {
        if we_hang_up {
            out.push(Action::Hangup(reason));
        }
        self.ended = Some(reason);
        Transition(State::ended())
    }

    /// N5: after the question, `again`, …, then the goodbye, then hang up:
    /// never fewer than `silence_prompts` prompts before hanging up.
    fn silence(&mut self, silent: &mut u8, again: PromptIx, out: &mut Outbox) -> Outcome<State> {
        *silent += 1;
        let prompts = self.flow.timing().silence_prompts;
        if *silent >= prompts {
            return self.end(EndReason::Silence, true, out);
        }
        let prompt = if *silent == prompts - 1 {
            self.flow.roles().silence_goodbye
        } else {
            again
        };
        self.say(prompt, out);
        self.listen(out);
        Handled
    }

    /// N7: ask to speak up, a few times; then suggest another phone and wait
    /// for consent. Never hang up just because the line is bad.
    fn unclear_audio(&mut self, step: StepIx, out: &mut Outbox) -> Outcome<State> {
        self.unclear = self.unclear.saturating_add(1);
        let roles = self.flow.roles();
        if self.unclear <= self.flow.timing().unclear_attempts {
            self.say(roles.unclear, out);
            self.listen(out);
            Handled
        } else {
            self.say(roles.switch_phone, out);
            out.push(Action::Listen {
                timeout: self.flow.timing().consent_wait,
            });
            Transition(State::confirming_switch(step))
        }
    }

    /// Asks `question` again after clear input that answers neither yes nor
    /// no. A request for the agent number is answered first: refusing it is
    /// a violation (N14), whatever the call is waiting for.
    /// The answer to a consent question (N10, N11), by the rules every such
    /// question shares: any sound from the caller restarts the silence
    /// count; other clear words hear the question again (after the agent
    /// number, N14); silence follows N5 with the question as reprompt; what
    /// is not caller input goes on to `in_call`.
    fn consent(
        &mut self,
        event: &Event,
        silent: &mut u8,
        question: PromptIx,
        out: &mut Outbox,
    ) -> Consent {
        if caller_sound(event) {
            *silent = 0;
        }
        match self.yes_no(event) {
            Some(Ok(true)) => Consent::Yes,
            Some(Ok(false)) => Consent::No,
            Some(Err(())) => {
                self.ask_again(event, question, out);
                Consent::Settled(Handled)
            }
            None => Consent::Settled(match event {
                Event::NoInput => self.silence(silent, question, out),
                _ => Super,
            }),
        }
    }

    fn ask_again(&mut self, event: &Event, question: PromptIx, out: &mut Outbox) {
        let (intent, reply) = (
            self.flow.roles().agent_number_intent,
            self.flow.roles().agent_number,
        );
        if let (Some(intent), Some(reply), Some(Ok(heard))) = (intent, reply, self.heard(event))
            && self.flow.recognise([intent], self.locale, heard).is_some()
        {
            self.say(reply, out);
        }
        self.say(question, out);
        self.listen(out);
    }

    /// Clear input, as something to recognise. `Some(Err)` is speech too
    /// unclear to use (left to `in_call`), `None` is not caller input.
    fn heard<'e>(&mut self, event: &'e Event) -> Option<Result<Heard<'e>, ()>> {
        match event {
            Event::Speech { text, confidence } => {
                let low = confidence.is_some_and(|c| c < self.flow.timing().low_confidence);
                if low || text.trim().is_empty() {
                    return Some(Err(()));
                }
                self.unclear = 0;
                Some(Ok(Heard::Words(text)))
            }
            Event::Dtmf { digits } => Some(Ok(Heard::Keys(digits))),
            _ => None,
        }
    }

    /// A yes/no answer: `Some(Ok(bool))`, `Some(Err)` for other clear input,
    /// `None` for events that are not caller input, or unclear speech.
    ///
    /// The agent-number request competes too, so that "工号是多少" is that
    /// request (the longer phrase) and not a "是" (yes).
    fn yes_no(&mut self, event: &Event) -> Option<Result<bool, ()>> {
        let heard = match self.heard(event)? {
            Ok(h) => h,
            Err(()) => return None,
        };
        let roles = self.flow.roles();
        let candidates = roles
            .yes
            .into_iter()
            .chain(roles.no)
            .chain(roles.agent_number_intent);
        match self.flow.recognise(candidates, self.locale, heard) {
            Some(i) if Some(i) == roles.yes => Some(Ok(true)),
            Some(i) if Some(i) == roles.no => Some(Ok(false)),
            _ => Some(Err(())),
        }
    }

    /// Routes clear input at an `ask` step: its answers first, then requests
    /// understood anywhere, the agent number (N14), a greeting (N6), and
    /// finally `otherwise`.
    fn respond(&mut self, step: StepIx, heard: Heard<'_>, out: &mut Outbox) -> Outcome<State> {
        let flow = self.flow.clone();
        let StepKind::Ask {
            answers, otherwise, ..
        } = &flow.step(step).kind
        else {
            return Transition(self.enter(step, out));
        };
        let roles = flow.roles();
        let candidates: Vec<IntentIx> = answers
            .iter()
            .map(|(i, _)| *i)
            .chain(flow.anywhere().iter().map(|(i, _)| *i))
            .chain(roles.agent_number_intent)
            .chain(roles.greeting)
            .collect();
        let Some(intent) = flow.recognise(candidates.iter().copied(), self.locale, heard) else {
            return match (otherwise, roles.not_understood) {
                (Some(next), _) => Transition(self.enter(*next, out)),
                (None, Some(p)) => {
                    self.say(p, out);
                    self.listen(out);
                    Transition(State::listening(step, 0))
                }
                // compile requires one of the two; stay and listen.
                (None, None) => {
                    self.listen(out);
                    Transition(State::listening(step, 0))
                }
            };
        };
        let target = answers
            .iter()
            .chain(flow.anywhere())
            .find(|(i, _)| *i == intent)
            .map(|(_, s)| *s);
        if let Some(next) = target {
            return Transition(self.enter(next, out));
        }
        let reply = if Some(intent) == roles.agent_number_intent {
            roles.agent_number
        } else {
            let part = match self.day_part {
                DayPart::Morning => 0,
                DayPart::Afternoon => 1,
                DayPart::Evening => 2,
            };
            roles.greeting_reply_by_part[part].or(roles.greeting_reply)
        };
        if let Some(p) = reply {
            self.say(p, out);
        }
        self.listen(out);
        Transition(State::listening(step, 0))
    }

    /// Like `respond`, for input heard outside `ask` (closing): it is
    /// routed as an answer to `step` when that is an ask step.
    fn respond_at(&mut self, step: StepIx, heard: Heard<'_>, out: &mut Outbox) -> Outcome<State> {
        match self.flow.step(step).kind {
            StepKind::Ask { .. } => {
                self.last_ask = step;
                self.respond(step, heard, out)
            }
            _ => Transition(self.enter(step, out)),
        }
    }

    /// Says what a step says and returns the phase it waits in. `say`
    /// steps chain within one turn.
    fn enter(&mut self, first: StepIx, out: &mut Outbox) -> State {
        let flow = self.flow.clone();
        let mut step = first;
        for _ in 0..MAX_CHAIN {
            match &flow.step(step).kind {
                StepKind::Ask { prompt, .. } => {
                    let p = match prompt {
                        AskPrompt::Prompt(p) => Some(*p),
                        AskPrompt::Opening if !self.opened => self.opening,
                        AskPrompt::Opening => Some(flow.roles().silence_reprompt),
                    };
                    self.opened = true;
                    if let Some(p) = p {
                        self.say(p, out);
                    }
                    self.listen(out);
                    self.last_ask = step;
                    return State::listening(step, 0);
                }
                StepKind::Say { prompt, next } => {
                    self.say(*prompt, out);
                    step = *next;
                }
                StepKind::Transfer { consent, .. } => {
                    self.say(*consent, out);
                    self.listen(out);
                    return State::confirming_transfer(step, 0);
                }
                StepKind::Hold { ask, .. } => {
                    self.say(*ask, out);
                    self.listen(out);
                    return State::confirming_hold(step, 0);
                }
                StepKind::Close { ask, .. } => {
                    self.say(*ask, out);
                    self.listen(out);
                    return State::closing(step);
                }
                StepKind::Hangup { prompt } => {
                    self.say(*prompt, out);
                    out.push(Action::Hangup(EndReason::FlowEnd));
                    self.ended = Some(EndReason::FlowEnd);
                    return State::ended();
                }
            }
        }
        out.push(Action::Hangup(EndReason::FlowEnd));
        self.ended = Some(EndReason::FlowEnd);
        State::ended()
    }
}
