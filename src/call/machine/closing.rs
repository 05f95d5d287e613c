//! What the caller says at the close (N12): at "anything else?" and after
//! our goodbye. Callers end calls in their own words (没事了, 就这样吧,
//! 好的谢谢拜拜, issue 25); only a real request keeps the call going.

use statig::prelude::*;

use super::{Outbox, Script, State};
use crate::{
    call::{
        Action, Event,
        understanding::{self, Answer},
    },
    flow::{CloseStep, Heard, StepIx},
};

impl Script {
    /// Words at the close step's question: a goodbye (even with a yes
    /// inside: 好的,谢谢,拜拜) or a no → our goodbye; "say again" → what
    /// the last turn told (the bill), then the question; a yes → `more`;
    /// a request → handled at `more`.
    pub(super) fn closing_words(
        &mut self,
        step: StepIx,
        close: &CloseStep,
        event: &Event,
        heard: Heard<'_>,
        out: &mut Outbox,
    ) -> Outcome<State> {
        let understood = self.understand(event, heard);
        let (answer, requests) = understanding::answer(&self.flow, understood, false);
        let request = self.routable(close.more, requests);
        // 好的,谢谢,拜拜 holds a yes, but it is the caller's "no more".
        if understanding::says_goodbye(&self.flow, understood) && !request {
            return Transition(self.goodbye(step, close, out));
        }
        // "Say again" right after the bill repeats the bill, then this
        // question, and the call stays at it.
        if self
            .flow
            .roles()
            .repeat
            .is_some_and(|r| requests.contains(r))
            && !request
        {
            self.say_again(Some(close.ask), out);
            self.listen(out);
            return Handled;
        }
        match answer {
            Answer::No if requests.is_empty() || self.only_pleasantries(requests) => {
                Transition(self.goodbye(step, close, out))
            }
            Answer::Yes if requests.is_empty() => Transition(self.enter(close.more, out)),
            _ => self.respond_at(close.more, requests, out),
        }
    }

    /// Words after our N12 goodbye. Only a real request reopens the call
    /// (at `more`); the caller's own 再见, thanks or 嗯 leave our goodbye
    /// the last word, and the wait for their hang-up starts again from
    /// their words: without it the call waited for the front-end's idle
    /// guard, not the line-left-open hang-up (N12/N15). Their silence then
    /// is the line left open, never N5's no-sound goodbye: that is for
    /// calls with no sound, and this caller has spoken.
    pub(super) fn words_after_goodbye(
        &mut self,
        more: StepIx,
        event: &Event,
        heard: Heard<'_>,
        out: &mut Outbox,
    ) -> Outcome<State> {
        let understood = self.understand(event, heard);
        if understanding::asks_for_more(&self.flow, understood) {
            return self.respond_at(more, understood, out);
        }
        // "Hello? Are you there?" hears the goodbye again.
        if self
            .flow
            .roles()
            .repeat
            .is_some_and(|r| understood.contains(r))
        {
            self.say_again(None, out);
        }
        self.wait_for_hangup(out);
        Handled
    }

    /// After our goodbye: the wait for the caller to hang up, after which
    /// we hang up (N12, N15).
    pub(super) fn wait_for_hangup(&self, out: &mut Outbox) {
        out.push(Action::Listen {
            timeout: self.flow.timing().caller_hangup_wait,
        });
    }
}
