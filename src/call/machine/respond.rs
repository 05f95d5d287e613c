//! What the call does with understood words at a step: route a request,
//! answer the everyday things callers say (thanks, complaints, "say
//! again", callbacks, nuisance), or ask again when nothing was understood,
//! within bounds.

use super::{Outbox, Script, State};
use crate::call::understanding;
use crate::{
    calendar::DayPart,
    flow::{AskStep, IntentIx, StepBehaviour, StepIx, StepKind, matcher::Understood},
};

impl Script {
    /// Where `intent` leads from `step`: the step's own answers first, then
    /// the requests understood anywhere.
    pub(super) fn route(&self, step: StepIx, intent: IntentIx) -> Option<StepIx> {
        let answers = self.flow.step(step).kind.answers()?;
        answers
            .iter()
            .chain(self.flow.anywhere())
            .find(|(i, _)| *i == intent)
            .map(|(_, s)| *s)
    }

    /// Whether any of `intents` leads somewhere from `step`.
    pub(super) fn routable(&self, step: StepIx, intents: Understood) -> bool {
        intents
            .as_slice()
            .iter()
            .any(|&i| self.route(step, i).is_some())
    }

    /// Whether the caller only thanked or greeted us.
    pub(super) fn only_pleasantries(&self, intents: Understood) -> bool {
        let roles = self.flow.roles();
        intents
            .as_slice()
            .iter()
            .all(|&i| Some(i) == roles.thanks || Some(i) == roles.hello)
    }

    /// Routes what the caller said at `step`. At an `ask` step: facts asked
    /// for (the agent number, N14; a complaint or a callback, N17) are
    /// answered first; then the first request that leads somewhere is
    /// followed and the ones after it wait in `pending`; otherwise "say
    /// again", thanks (a modest thank-you), a greeting (N6) and nuisance
    /// (N15) are answered in place; nothing at all is not understood.
    /// At any other step, the words wait for the step's own question.
    pub(super) fn respond(
        &mut self,
        step: StepIx,
        understood: Understood,
        out: &mut Outbox,
    ) -> State {
        if !matches!(self.flow.step(step).kind, StepKind::Ask(_)) {
            self.pending = understood;
            return self.enter(step, out);
        }
        self.last_ask = step;
        let flow = self.flow.clone();
        let roles = flow.roles();
        let is = |i: IntentIx, role: Option<IntentIx>| Some(i) == role;
        let intents = understood.as_slice();

        let mut answered = false;
        for &i in intents {
            let reply = if is(i, roles.agent_number_intent) {
                roles.agent_number
            } else if is(i, roles.complaint) {
                roles.complaint_reply
            } else if is(i, roles.callback) {
                roles.callback_reply
            } else {
                None
            };
            if let Some(p) = reply {
                self.say(p, out);
                answered = true;
            }
        }
        let first = intents
            .iter()
            .enumerate()
            .find_map(|(k, &i)| self.route(step, i).map(|to| (k, to)));
        if let Some((k, to)) = first {
            self.not_understood = 0;
            self.nuisance = 0;
            let mut rest = Understood::default();
            for &i in &intents[k + 1..] {
                if self.route(step, i).is_some() {
                    rest.push(i);
                }
            }
            self.pending = rest;
            return self.enter(to, out);
        }
        if answered {
            self.not_understood = 0;
            self.nuisance = 0;
            return self.listen_at(step, out);
        }
        let has = |role: Option<IntentIx>| role.is_some_and(|r| understood.contains(r));
        if has(roles.nuisance) {
            return self.nuisance_turn(step, out);
        }
        if understanding::says_goodbye(&flow, understood) {
            return self.caller_goodbye(step, out);
        }
        if has(roles.repeat) {
            self.not_understood = 0;
            self.say_again(None, out);
            return self.listen_at(step, out);
        }
        let reply = if has(roles.thanks) {
            roles.thanks_reply
        } else if has(roles.hello) {
            let part = match self.day_part {
                DayPart::Morning => 0,
                DayPart::Afternoon => 1,
                DayPart::Evening => 2,
            };
            roles.hello_reply_by_part[part].or(roles.hello_reply)
        } else {
            None
        };
        if let Some(p) = reply {
            self.not_understood = 0;
            self.nuisance = 0;
            self.say(p, out);
            return self.listen_at(step, out);
        }
        self.not_understood_turn(step, out)
    }

    /// Input heard outside an `ask` step (closing, after a goodbye, a
    /// handset question): handled as an answer to `step`.
    pub(super) fn respond_at(
        &mut self,
        step: StepIx,
        understood: Understood,
        out: &mut Outbox,
    ) -> statig::prelude::Outcome<State> {
        statig::prelude::Transition(self.respond(step, understood, out))
    }

    /// The caller closed the call away from a close step (再见 at the
    /// opening, 就这样吧 after an answer): the flow's close step's goodbye,
    /// without its "anything else?" (the caller just said no more), then
    /// the wait for their hang-up, where a real request reopens the call
    /// (N12). A flow without a close step closes politely.
    pub(super) fn caller_goodbye(&mut self, step: StepIx, out: &mut Outbox) -> State {
        self.not_understood = 0;
        self.nuisance = 0;
        self.pending = Understood::default();
        let roles = self.flow.roles();
        match roles.close {
            Some((at, close)) => self.goodbye(at, &close, out),
            None => self.final_goodbye(roles.polite_close, step, out),
        }
    }

    fn listen_at(&mut self, step: StepIx, out: &mut Outbox) -> State {
        self.listen(out);
        State::at_step(step, crate::flow::Progress::default())
    }

    /// Nothing matched: the not-understood re-ask (in new words the second
    /// time), or the step's `otherwise`; after `not_understood_attempts`
    /// the call offers a person or closes politely. Off-topic talk after
    /// a nuisance phrase is more nuisance (N15).
    fn not_understood_turn(&mut self, step: StepIx, out: &mut Outbox) -> State {
        if self.nuisance > 0 {
            return self.nuisance_turn(step, out);
        }
        self.not_understood = self.not_understood.saturating_add(1);
        if self.not_understood > self.flow.timing().not_understood_attempts {
            return self.cannot_go_on(step, out);
        }
        let flow = self.flow.clone();
        if let StepKind::Ask(AskStep {
            otherwise: Some(next),
            ..
        }) = flow.step(step).kind
        {
            return self.enter(next, out);
        }
        let roles = flow.roles();
        let prompt = if self.not_understood >= 2 {
            roles.not_understood_again.or(roles.not_understood)
        } else {
            roles.not_understood
        };
        if let Some(p) = prompt {
            self.say(p, out);
        }
        self.listen_at(step, out)
    }

    /// N15: the norm's answer to a nuisance caller, and after
    /// `nuisance_turns` of it the goodbye and a timely hang-up.
    fn nuisance_turn(&mut self, step: StepIx, out: &mut Outbox) -> State {
        self.nuisance = self.nuisance.saturating_add(1);
        let flow = self.flow.clone();
        let roles = flow.roles();
        if self.nuisance >= self.flow.timing().nuisance_turns
            && let Some(bye) = roles.nuisance_goodbye
        {
            return self.final_goodbye(bye, step, out);
        }
        if let Some(p) = roles.nuisance_reply {
            self.say(p, out);
        }
        self.listen_at(step, out)
    }
}
