//! Waits the call does not control: a hold (N11; a lookup's is in its
//! kind's file). Its end comes from outside (`hold_result`); meanwhile the
//! caller's words get an answer and the wait goes on, with a listen for
//! the time left so the engine's timer keeps the promise.

use std::time::Duration;

use statig::prelude::*;

use super::{Outbox, Script, State};
use crate::{
    call::{
        Action, Event, Vars,
        understanding::{self, Answer, Input},
    },
    flow::{Heard, HoldStep},
};

impl Script {
    /// An event on hold (`on_hold` in the machine).
    pub(super) fn hold_event(
        &mut self,
        context: &mut Outbox,
        hold: &mut HoldStep,
        until: &mut u64,
        offered: &mut bool,
        event: &Event,
    ) -> Outcome<State> {
        match (self.input(event), event) {
            (_, Event::HoldResult { ok, variables }) => {
                self.merge(variables);
                let done = *ok && self.has_all(&hold.gives);
                self.say(hold.resume, context);
                Transition(self.enter(if done { hold.next } else { hold.failed }, context))
            }
            (_, Event::NoInput) => {
                self.say(hold.overdue, context);
                *offered = true;
                *until = self.deadline_after(hold.duration);
                context.push(Action::Listen {
                    timeout: hold.duration,
                });
                Handled
            }
            (Input::Clear(heard), _) => {
                self.hold_words(event, heard, hold, *until, offered, context)
            }
            // Hold music hides the caller's audio; nothing to fix on hold.
            (Input::Unclear, _) | (_, Event::Audio(_)) => Handled,
            (
                _,
                Event::Start
                | Event::PromptPlayed
                | Event::InputStarted
                | Event::Speech { .. }
                | Event::Dtmf { .. }
                | Event::TransferResult { .. }
                | Event::Data { .. }
                | Event::LookupResult { .. }
                | Event::RecordingResult { .. }
                | Event::CallerHangup
                | Event::OperatorHangup
                | Event::FrontEndLost
                | Event::Shutdown
                | Event::TimeLimit,
            ) => Super,
        }
    }

    /// Takes on a call's new values (a `data` event, an answer).
    pub(super) fn merge(&mut self, variables: &Vars) {
        for (k, v) in variables {
            self.set_variable(k, v.clone());
        }
    }

    /// Whether the call has every variable an answer promised to bring.
    pub(super) fn has_all(&self, names: &[std::sync::Arc<str>]) -> bool {
        names.iter().all(|n| self.vars.contains_key(&**n))
    }

    /// The call time (ms) `wait` from now.
    pub(super) fn deadline_after(&self, wait: Duration) -> u64 {
        millis(self.now.get() + wait)
    }

    /// A listen for what is left of a wait ending at `until` (ms).
    pub(super) fn listen_until(&self, until: u64, out: &mut Outbox) {
        let left = until.saturating_sub(millis(self.now.get())).max(1);
        out.push(Action::Listen {
            timeout: Duration::from_millis(left),
        });
    }

    /// Words during a hold: the callback taken (asked for, or a yes to
    /// the offer) → the `callback` step; a person asked for → the
    /// transfer's consent question (N10); the agent number → the number
    /// (N14); a no to the offer → the estimate, hold on; anything else (还要多久)
    /// → the estimate. Each after the apology for the wait where the hold
    /// ends (N11). Never a claim that the work is done.
    pub(super) fn hold_words(
        &mut self,
        event: &Event,
        heard: Heard<'_>,
        hold: &HoldStep,
        until: u64,
        offered: &mut bool,
        out: &mut Outbox,
    ) -> Outcome<State> {
        let u = self.understand(event, heard);
        let (answer, requests) = understanding::answer(&self.flow, u, false);
        let roles = self.flow.roles();
        let has = |role: Option<crate::flow::IntentIx>| {
            role.is_some_and(|r| requests.contains(r) || u.contains(r))
        };
        if has(roles.callback) || (*offered && answer == Answer::Yes) {
            self.say(hold.resume, out);
            return Transition(self.enter(hold.callback, out));
        }
        if has(roles.agent)
            && let Some(person) = roles.person
        {
            self.say(hold.resume, out);
            return Transition(self.enter(person, out));
        }
        if has(roles.agent_number_intent)
            && let Some(number) = roles.agent_number
        {
            self.say(number, out);
        } else if *offered && answer == Answer::No {
            // Holding on: the estimate again, not the thanks that starts a
            // hold (the caller agreed to that once).
            *offered = false;
            self.say(hold.progress, out);
        } else {
            self.say(hold.progress, out);
        }
        self.listen_until(until, out);
        Handled
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
