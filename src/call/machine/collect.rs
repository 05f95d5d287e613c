//! A `collect` step: the caller's keys (or words) into a variable. Keys
//! arrive as one event holding the whole entry (the front-end collected
//! them) or one key per event (the machine collects them: each key asks
//! for the inter-digit pause, whose expiry ends the entry). Silence and
//! audio trouble are as at an `ask` (N5, N7-N9); `[anywhere]` requests
//! work by speech.

use std::sync::Arc;

use statig::prelude::*;

use super::{Outbox, Script, State, caller_sound};
use crate::{
    call::{Action, Event, understanding::Input},
    flow::{CollectStep, Entry, Heard, StepIx},
};

/// An entry being keyed: the keys so far, silent listens (N5) and invalid
/// entries (`attempts`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CollectProgress {
    pub typed: String,
    pub silent: u8,
    pub wrong: u8,
}

/// What the keys of one event did to the entry.
enum Keyed {
    /// The terminator, or `max` keys: the entry is whole.
    Done,
    /// More keys may follow.
    More,
}

impl Script {
    /// Says the step's prompt and waits for the entry.
    pub(super) fn enter_collect(
        &mut self,
        step: StepIx,
        collect: &CollectStep,
        out: &mut Outbox,
    ) -> State {
        self.last_ask = step;
        self.pending = Default::default();
        self.say_at(step, collect.prompt, out);
        self.listen(out);
        State::collecting(step, Arc::new(collect.clone()), CollectProgress::default())
    }

    /// One event while collecting.
    pub(super) fn collect_event(
        &mut self,
        out: &mut Outbox,
        step: StepIx,
        collect: &CollectStep,
        progress: &mut CollectProgress,
        event: &Event,
    ) -> Outcome<State> {
        if caller_sound(event) {
            progress.silent = 0;
        }
        match (self.input(event), event) {
            (Input::Clear(Heard::Keys(digits)), _) => {
                // Several keys in one event are the front-end's whole entry.
                let whole = digits.chars().count() > 1;
                match (key_in(collect, &mut progress.typed, digits), whole) {
                    (Keyed::Done, _) | (Keyed::More, true) => {
                        self.entry_done(step, collect, progress, out)
                    }
                    (Keyed::More, false) => {
                        let pause = collect
                            .digits
                            .as_ref()
                            .map_or(self.flow.timing().no_input, |d| d.inter_digit);
                        out.push(Action::Listen { timeout: pause });
                        Handled
                    }
                }
            }
            (Input::Clear(heard @ Heard::Words(words)), _) => {
                progress.typed.clear();
                // Requests understood anywhere (a person) win over an entry.
                let understood = self.understand(event, heard);
                let anywhere = understood
                    .as_slice()
                    .iter()
                    .find_map(|&i| self.route(step, i));
                if let Some(to) = anywhere {
                    return Transition(self.enter(to, out));
                }
                progress.typed = match collect.digits {
                    // A recogniser writes a spoken number as digits.
                    Some(_) => words.chars().filter(char::is_ascii_digit).collect(),
                    None => words.trim().to_owned(),
                };
                self.entry_done(step, collect, progress, out)
            }
            // The pause after the last key ends the entry.
            (Input::NotInput, Event::NoInput) if !progress.typed.is_empty() => {
                self.entry_done(step, collect, progress, out)
            }
            (Input::NotInput, Event::NoInput) => {
                let again = self.reprompt(step);
                self.silence(&mut progress.silent, again, out)
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

    /// Judges the entry: a valid one is kept in the step's variable and
    /// the call goes on; an invalid one hears `invalid` and the prompt,
    /// and the last allowed leads to `exhausted`.
    fn entry_done(
        &mut self,
        step: StepIx,
        collect: &CollectStep,
        progress: &mut CollectProgress,
        out: &mut Outbox,
    ) -> Outcome<State> {
        let typed = std::mem::take(&mut progress.typed);
        match collect.judge(&typed) {
            Entry::Valid(value) => {
                self.set_variable(&collect.into, value);
                Transition(self.enter(collect.next, out))
            }
            Entry::Invalid => {
                progress.wrong = progress.wrong.saturating_add(1);
                if progress.wrong >= collect.attempts {
                    return Transition(self.enter(collect.exhausted, out));
                }
                self.say_at(step, collect.invalid, out);
                self.say_at(step, collect.prompt, out);
                self.listen(out);
                Handled
            }
        }
    }
}

/// Adds an event's keys to the entry, up to the terminator or `max`
/// (keys after either are not part of it).
fn key_in(collect: &CollectStep, typed: &mut String, digits: &str) -> Keyed {
    let Some(rule) = &collect.digits else {
        typed.push_str(digits);
        return Keyed::Done;
    };
    for key in digits.chars() {
        if Some(key) == rule.terminator {
            return Keyed::Done;
        }
        typed.push(key);
        if typed.chars().count() >= usize::from(rule.max) {
            return Keyed::Done;
        }
    }
    Keyed::More
}

impl Script {
    /// Keeps a value in one of the call's variables; the turn shows it
    /// as changed.
    pub(super) fn set_variable(&mut self, name: &str, value: String) {
        self.changed.insert(name.to_owned(), value.clone());
        self.vars.insert(name.to_owned(), value);
    }
}
