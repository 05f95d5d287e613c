//! Helpers every phase of the call machine shares: saying and listening,
//! entering steps (with the visit bound), the silence (N5), unclear-audio
//! (N7) and language (N9) rules, consent questions, and the ways a call
//! that cannot go on ends.

use std::{mem, sync::Arc};

use statig::prelude::*;
use tracing::trace;

use super::{Outbox, Script, State, Superstate, at_step::AtStep};
use crate::{
    call::{
        Action, AudioKind, EndReason, Event, Say,
        understanding::{self, Answer, Input},
    },
    flow::{
        AskPrompt, AskStep, Asked, CloseStep, Entered, Heard, PromptIx, StepBehaviour, StepIx,
        StepKind, asked_about, matcher::Understood,
    },
};

/// How many `say` steps one turn may chain; compile rejects rings of them,
/// and the visit bound stops them too, so this only guards against a bug.
const MAX_CHAIN: usize = 64;

/// A yes/no question a phase is waiting on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Question {
    /// The step that asked.
    pub step: StepIx,
    pub prompt: PromptIx,
    /// Asking for a person counts as yes (a transfer's consent question).
    pub agent_is_yes: bool,
    /// The answer to "how long?" here (the hold's promise, the queue's
    /// estimate), where the flow has one.
    pub estimate: Option<PromptIx>,
}

impl Script {
    /// Runs before each phase sees an event. Clear input from the caller
    /// shows the line and the language are fine (N7, N9).
    pub(super) fn before_dispatch(
        &mut self,
        target: StateOrSuperstate<'_, State, Superstate<'_>>,
        event: &Event,
        _context: &mut Outbox,
    ) {
        if !matches!(target, StateOrSuperstate::State(_)) {
            return;
        }
        self.heard = Understood::default();
        self.changed.clear();
        self.spoke = false;
        if matches!(event, Event::Speech { .. }) {
            self.caller_spoke = true;
        }
        if let Input::Clear(_) = Input::of(&self.flow, event) {
            self.unclear = 0;
            self.language = 0;
        }
    }

    pub(super) fn after_transition(
        &mut self,
        source: &State,
        target: &State,
        _context: &mut Outbox,
    ) {
        trace!(flow = %self.flow.id(), ?source, ?target, "call transition");
    }

    pub(super) fn input<'e>(&self, event: &'e Event) -> Input<'e> {
        Input::of(&self.flow, event)
    }

    /// What clear input means; kept for the turn.
    pub(super) fn understand(&mut self, event: &Event, heard: Heard<'_>) -> Understood {
        let u = understanding::understand(&self.flow, self.locale, event, heard);
        self.heard = u;
        u
    }

    /// Clear input as the answer to a yes/no question, and the requests
    /// said with it.
    pub(super) fn answer(
        &mut self,
        event: &Event,
        heard: Heard<'_>,
        agent_is_yes: bool,
    ) -> (Answer, Understood) {
        let u = self.understand(event, heard);
        understanding::answer(&self.flow, u, agent_is_yes)
    }

    /// What a question from the caller asks about, where the flow can
    /// answer it; a statement asks nothing.
    fn asked(&self, heard: Heard<'_>) -> Option<Asked> {
        match heard {
            Heard::Words(text) if self.heard.is_question() => {
                asked_about(&self.flow.locales()[usize::from(self.locale)], text)
            }
            Heard::Words(_) | Heard::Keys(_) => None,
        }
    }

    /// Says one of the flow's own prompts (silence, audio, goodbyes):
    /// the caller may always interrupt those.
    pub(super) fn say(&mut self, prompt: PromptIx, out: &mut Outbox) {
        self.say_with(prompt, true, out);
    }

    /// Says a step's prompt, which the caller may interrupt only where
    /// the step allows it (`barge_in`).
    pub(super) fn say_at(&mut self, step: StepIx, prompt: PromptIx, out: &mut Outbox) {
        let barge_in = self.flow.step(step).barge_in;
        self.say_with(prompt, barge_in, out);
    }

    fn say_with(&mut self, prompt: PromptIx, barge_in: bool, out: &mut Outbox) {
        if !self.spoke {
            self.spoke = true;
            self.told = None;
        }
        self.last_said = Some(prompt);
        let p = self.flow.prompt(prompt);
        let rendered = p.render(self.locale, &self.vars);
        let rendered_ssml = p.render_ssml(self.locale, &self.vars);
        out.push(Action::Say(Say {
            prompt: p.clone(),
            locale: self.locale,
            barge_in,
            rendered,
            rendered_ssml,
        }));
    }

    /// "Say again": what the last turn told (a `say` step: the bill, a
    /// ticket number), then `question` (else the last thing said). The
    /// question alone would drop what the caller asked to hear (issue 25).
    /// A caller asking again after N5's goodbye is back and has spoken: the
    /// goodbye no longer holds (and 您的电话没有声音 would be untrue), so they
    /// hear the silence reprompt, the question again.
    pub(super) fn say_again(&mut self, question: Option<PromptIx>, out: &mut Outbox) {
        let told = self.told;
        let roles = self.flow.roles();
        let question = question
            .or(self.last_said)
            .filter(|&p| p != roles.silence_goodbye && p != roles.silence_goodbye_spoken)
            .unwrap_or(roles.silence_reprompt);
        if let Some(t) = told
            && t != question
        {
            self.say(t, out);
        }
        self.say(question, out);
        // Asked twice, it is said twice.
        self.told = told;
    }

    pub(super) fn listen(&self, out: &mut Outbox) {
        out.push(Action::Listen {
            timeout: self.flow.timing().no_input,
        });
    }

    /// Ends the call; `we_hang_up` adds the hang-up action (not when the
    /// caller already hung up, or the call left us by transfer).
    pub(super) fn end(
        &mut self,
        reason: EndReason,
        we_hang_up: bool,
        out: &mut Outbox,
    ) -> Outcome<State> {
        if we_hang_up {
            out.push(Action::Hangup(reason));
        }
        self.ended = Some(reason);
        Transition(State::ended())
    }

    /// N5: after the question, `again`, …, then the goodbye, then hang up:
    /// never fewer than `silence_prompts` prompts before hanging up.
    ///
    /// The rule for a caller who has spoken (issue 25): where we wait for
    /// an answer (a step's question, a consent question) their silence gets
    /// the same three prompts, counted afresh after anything they did, but
    /// the third is `silence_goodbye_spoken`: their phone has sound, so
    /// 您的电话没有声音 would be untrue (N5's wording is for calls with no
    /// sound). After our goodbye (`awaiting_hangup`) silence never comes
    /// here: nothing is asked, so it is the line left open (N12/N15), and
    /// their own goodbye or thanks there keeps the call waiting instead of
    /// reopening it into this path.
    pub(super) fn silence(
        &mut self,
        silent: &mut u8,
        again: PromptIx,
        out: &mut Outbox,
    ) -> Outcome<State> {
        *silent += 1;
        let prompts = self.flow.timing().silence_prompts;
        if *silent >= prompts {
            return self.end(EndReason::Silence, true, out);
        }
        let prompt = if *silent == prompts - 1 {
            let roles = self.flow.roles();
            if self.caller_spoke {
                roles.silence_goodbye_spoken
            } else {
                roles.silence_goodbye
            }
        } else {
            again
        };
        self.say(prompt, out);
        self.listen(out);
        Handled
    }

    /// N7: ask to speak up, a few times; then suggest another phone and wait
    /// for consent. Never hang up just because the line is bad.
    pub(super) fn unclear_audio(&mut self, step: StepIx, out: &mut Outbox) -> Outcome<State> {
        self.unclear = self.unclear.saturating_add(1);
        let roles = self.flow.roles();
        if self.unclear <= self.flow.timing().unclear_attempts {
            let p = roles.unclear;
            self.say(p, out);
            self.listen(out);
            Handled
        } else {
            let p = roles.switch_phone;
            self.say(p, out);
            out.push(Action::Listen {
                timeout: self.flow.timing().consent_wait,
            });
            Transition(State::confirming_switch(step, 0))
        }
    }

    /// N9: ask for Mandarin `language_attempts` times; then offer a person
    /// or close politely.
    pub(super) fn other_language(&mut self, step: StepIx, out: &mut Outbox) -> Outcome<State> {
        self.language = self.language.saturating_add(1);
        if self.language > self.flow.timing().language_attempts {
            self.language = 0;
            return Transition(self.cannot_go_on(step, out));
        }
        let p = self.flow.roles().mandarin;
        self.say(p, out);
        self.listen(out);
        Handled
    }

    /// The answer to a consent question (N10, N11), by the rules every such
    /// question shares: silence follows N5 with the question as reprompt;
    /// other clear words hear the question again (after the agent number,
    /// N14), and after `consent_attempts` of them the question counts as
    /// declined; what is not caller input goes on to `in_call`.
    /// `Ok` is a yes or a no; `Err` is what the phase returns instead.
    pub(super) fn consent(
        &mut self,
        asking: Question,
        event: &Event,
        silent: &mut u8,
        asked: &mut u8,
        out: &mut Outbox,
    ) -> Result<Answer, Outcome<State>> {
        let Question {
            step,
            prompt: question,
            agent_is_yes,
            estimate,
        } = asking;
        if super::caller_sound(event) {
            *silent = 0;
        }
        match (self.input(event), event) {
            (Input::Clear(heard), _) => {
                let (answer, requests) = self.answer(event, heard, agent_is_yes);
                // Only an answer to the question itself counts: after the
                // silence goodbye, a "yes" hears the question again first.
                if answer != Answer::Other && self.last_said == Some(question) {
                    self.pending = requests;
                    return Ok(answer);
                }
                if answer != Answer::Other {
                    self.say_at(step, question, out);
                    self.listen(out);
                    return Err(Handled);
                }
                *asked += 1;
                if *asked >= self.flow.timing().consent_attempts {
                    self.pending = requests;
                    return Ok(Answer::No);
                }
                let roles = self.flow.roles();
                // Questions back get their answer before the question again
                // (issue 25): the agent number (N14), how long (the estimate
                // the flow has), whether this is a person (honestly not).
                let number = roles
                    .agent_number_intent
                    .filter(|&i| requests.contains(i))
                    .and(roles.agent_number);
                let reply = match self.asked(heard) {
                    Some(Asked::HowLong) => estimate,
                    Some(Asked::AreYouHuman) => roles.assistant_reply,
                    None => None,
                };
                for p in [number, reply].into_iter().flatten() {
                    self.say(p, out);
                }
                self.say_at(step, question, out);
                self.listen(out);
                Err(Handled)
            }
            (Input::NotInput, Event::NoInput) => Err(self.silence(silent, question, out)),
            // "Speak louder, please?" is a question of its own: a yes after
            // it must not count for this one, so this one is asked again.
            (Input::Unclear, _)
            | (_, Event::Audio(AudioKind::Weak | AudioKind::Noisy | AudioKind::UnknownLanguage)) => {
                let outcome = match event {
                    Event::Audio(AudioKind::UnknownLanguage) => self.other_language(step, out),
                    Event::Audio(AudioKind::Weak | AudioKind::Noisy | AudioKind::NoAudio)
                    | Event::Start
                    | Event::PromptPlayed
                    | Event::InputStarted
                    | Event::Speech { .. }
                    | Event::Dtmf { .. }
                    | Event::NoInput
                    | Event::TransferResult { .. }
                    | Event::Data { .. }
                    | Event::LookupResult { .. }
                    | Event::HoldResult { .. }
                    | Event::RecordingResult { .. }
                    | Event::CallerHangup
                    | Event::OperatorHangup
                    | Event::FrontEndLost
                    | Event::Shutdown
                    | Event::TimeLimit => self.unclear_audio(step, out),
                };
                if matches!(outcome, Handled) && matches!(out.last(), Some(Action::Listen { .. })) {
                    out.pop();
                    self.say(question, out);
                    self.listen(out);
                }
                Err(outcome)
            }
            (
                _,
                Event::Start
                | Event::PromptPlayed
                | Event::InputStarted
                | Event::Speech { .. }
                | Event::Dtmf { .. }
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
                | Event::TimeLimit,
            ) => Err(Super),
        }
    }

    /// The transfer's reason, with any request the caller made alongside
    /// their yes, so the person they reach handles it next.
    pub(super) fn transfer_reason(&mut self, reason: &Arc<str>) -> Arc<str> {
        let pending = mem::take(&mut self.pending);
        if pending.is_empty() {
            return reason.clone();
        }
        let names: Vec<&str> = pending
            .as_slice()
            .iter()
            .map(|&i| &*self.flow.intent(i).name)
            .collect();
        format!("{reason}; also asked about: {}", names.join(", ")).into()
    }

    /// Back to the step that last asked, after a declined transfer (N10):
    /// a request said with the "no" is handled at once.
    pub(super) fn back_to_ask(&mut self, out: &mut Outbox) -> State {
        let step = self.last_ask;
        let flow = self.flow.clone();
        // A menu's keys, an entry's digits, are taken only there: the
        // caller hears any step but an ask again.
        if !matches!(flow.step(step).kind, StepKind::Ask(_)) {
            let mut call = AtStep {
                script: self,
                out,
                step,
                event: None,
                understood: None,
            };
            return match flow.step(step).kind.enter(&mut call) {
                Entered::Next(to) => self.enter(to, out),
                Entered::Phase(state) => state,
            };
        }
        if !self.pending.is_empty() {
            let pending = mem::take(&mut self.pending);
            return self.respond(step, pending, out);
        }
        self.listen(out);
        State::at_step(step, crate::flow::Progress::default())
    }

    /// At an `ask` step: requests left from the last answer that it
    /// routes are handled at once; else its prompt (the opening, the
    /// first time) and a listen.
    pub(super) fn enter_ask(&mut self, step: StepIx, ask: &AskStep, out: &mut Outbox) -> State {
        self.last_ask = step;
        if self.routable(step, self.pending) {
            let pending = mem::take(&mut self.pending);
            self.opened = true;
            return self.respond(step, pending, out);
        }
        self.pending = Understood::default();
        let p = match ask.prompt {
            AskPrompt::Prompt(p) => Some(p),
            AskPrompt::Opening if !self.opened => self.opening,
            AskPrompt::Opening => Some(self.flow.roles().silence_reprompt),
        };
        self.opened = true;
        if let Some(p) = p {
            self.say_at(step, p, out);
        }
        self.listen(out);
        State::at_step(step, crate::flow::Progress::default())
    }

    /// At a `close` step (N12): a request said before it is answered as
    /// `more` would answer it; else the question.
    pub(super) fn enter_close(
        &mut self,
        step: StepIx,
        close: &CloseStep,
        out: &mut Outbox,
    ) -> State {
        if self.routable(close.more, self.pending) {
            let pending = mem::take(&mut self.pending);
            return self.respond(close.more, pending, out);
        }
        // Outside opening hours the first words follow the calendar
        // (N2-N4) like any opening.
        let ask = match self.opening {
            Some(p) if self.after_hours && !self.opened => p,
            _ => close.ask,
        };
        self.opened = true;
        self.say_at(step, ask, out);
        self.listen(out);
        State::at_step(step, crate::flow::Progress::default())
    }

    /// The N12 goodbye; the caller hangs up first.
    pub(super) fn goodbye(&mut self, step: StepIx, close: &CloseStep, out: &mut Outbox) -> State {
        self.say(close.goodbye, out);
        self.wait_for_hangup(out);
        State::awaiting_hangup(step, Some(close.more), EndReason::LineLeftOpen)
    }

    /// The call cannot go on as it is (not understood, another language,
    /// going round in circles): offer a person with consent (N10) while
    /// that is still possible, else close politely (N12).
    pub(super) fn cannot_go_on(&mut self, step: StepIx, out: &mut Outbox) -> State {
        self.not_understood = 0;
        if let Some(person) = self.flow.roles().person
            && self.visits[usize::from(person)] < self.flow.timing().max_step_visits
        {
            return self.enter(person, out);
        }
        self.final_goodbye(self.flow.roles().polite_close, step, out)
    }

    /// A goodbye after which we only wait for the caller to hang up, then
    /// hang up ourselves (N12, N15).
    pub(super) fn final_goodbye(
        &mut self,
        prompt: PromptIx,
        step: StepIx,
        out: &mut Outbox,
    ) -> State {
        self.say(prompt, out);
        self.wait_for_hangup(out);
        State::awaiting_hangup(step, None, EndReason::LineLeftOpen)
    }

    /// Says what a step says and returns the phase it waits in. `say`
    /// steps chain within one turn. A step visited more than
    /// `max_step_visits` times ends the going round (`cannot_go_on`).
    /// Requests left from the last answer are handled at the first step
    /// that can route them.
    pub(super) fn enter(&mut self, first: StepIx, out: &mut Outbox) -> State {
        let flow = self.flow.clone();
        let mut step = first;
        for _ in 0..MAX_CHAIN {
            self.leave_subflows_for(step);
            let visits = &mut self.visits[usize::from(step)];
            *visits = visits.saturating_add(1);
            if *visits > flow.timing().max_step_visits {
                return self.cannot_go_on(step, out);
            }
            let mut call = AtStep {
                script: self,
                out,
                step,
                event: None,
                understood: None,
            };
            match flow.step(step).kind.enter(&mut call) {
                Entered::Next(next) => step = next,
                Entered::Phase(state) => return state,
            }
        }
        out.push(Action::Hangup(EndReason::FlowEnd));
        self.ended = Some(EndReason::FlowEnd);
        State::ended()
    }
}
