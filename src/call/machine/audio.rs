//! The two questions audio trouble leads to: call from another phone
//! (N7, after weak audio more than once) and is the handset picked up
//! (N8, after no audio). Both return to the step the caller was at.

use statig::prelude::*;

use super::{Outbox, Script, State, caller_sound};
use crate::{
    call::{
        Action, EndReason, Event,
        understanding::{Answer, Input},
    },
    flow::StepIx,
};

impl Script {
    /// The answer to "please call from another phone" (N7). Agreement → a
    /// goodbye, then time for the caller to hang up first before we do
    /// (the seed: 稍停5秒,得到客户同意后方可挂机); silence → the question once
    /// more, then the silent-call path (N5) to its goodbye; a refusal →
    /// the step again; other clear words → the step they answer.
    pub(super) fn switch_phones(
        &mut self,
        context: &mut Outbox,
        step: StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        if caller_sound(event) {
            *silent = 0;
        }
        match (self.input(event), event) {
            (Input::Clear(heard), _) => {
                let (answer, requests) = self.answer(event, heard, false);
                match answer {
                    Answer::Yes => {
                        let bye = self.flow.roles().polite_close;
                        self.say(bye, context);
                        context.push(Action::Listen {
                            timeout: self.flow.timing().consent_wait,
                        });
                        Transition(State::awaiting_hangup(step, None, EndReason::PoorAudio))
                    }
                    Answer::No => {
                        self.unclear = 0;
                        self.pending = requests;
                        Transition(self.enter(step, context))
                    }
                    Answer::Other => self.respond_at(step, requests, context),
                }
            }
            (Input::NotInput, Event::NoInput) => {
                let again = self.flow.roles().switch_phone;
                self.silence(silent, again, context)
            }
            (
                _,
                Event::Start
                | Event::PromptPlayed
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
                | Event::TimeLimit,
            ) => Super,
        }
    }

    /// The answer to "is the handset picked up?" (N8). Yes → the step
    /// again; no → ask them to pick it up; silence → the silence rules (N5).
    pub(super) fn handset(
        &mut self,
        context: &mut Outbox,
        step: StepIx,
        silent: &mut u8,
        event: &Event,
    ) -> Outcome<State> {
        if caller_sound(event) {
            *silent = 0;
        }
        match (self.input(event), event) {
            (Input::Clear(heard), _) => {
                let (answer, requests) = self.answer(event, heard, false);
                match answer {
                    Answer::Yes => {
                        self.pending = requests;
                        Transition(self.enter(step, context))
                    }
                    Answer::No if requests.is_empty() => {
                        let p = self.flow.roles().speak_into_handset;
                        self.say(p, context);
                        self.listen(context);
                        Handled
                    }
                    _ => self.respond_at(step, requests, context),
                }
            }
            (Input::NotInput, Event::NoInput) => {
                let again = self.flow.roles().pick_up_handset;
                self.silence(silent, again, context)
            }
            (
                _,
                Event::Start
                | Event::PromptPlayed
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
                | Event::TimeLimit,
            ) => Super,
        }
    }
}
