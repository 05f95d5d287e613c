//! The generic phase: a call waiting at a step whose kind decides what
//! each input does (`StepBehaviour::on_input`, in the kind's own file).
//! The machine's side is [`AtStep`], the [`CallOps`] a kind is handed:
//! it says, listens, changes phase and keeps the call's counters, so a
//! kind needs no code here. The kind's struct is looked up in the flow
//! by the step's index on each event (nothing is copied into the state),
//! and every call is static: `AtStep` is a type parameter of the kind's
//! methods, not a trait object.

use std::{mem, sync::Arc, time::Duration};

use statig::prelude::*;

use super::{Outbox, Script, State, caller_sound, shared::Question};
use crate::{
    call::{
        Action, EndReason, Event,
        understanding::{self, Answer, Input},
    },
    flow::{
        AskStep, CallOps, CloseStep, Flow, Heard, IntentIx, OnGoodbye, Progress, PromptIx,
        StepBehaviour, StepInput, StepIx, TransferStep, Vars, YesNo, matcher::Understood,
    },
};

/// The call as a step's kind sees it, while entering the step or
/// handling one event there.
pub(super) struct AtStep<'a, 'e> {
    pub script: &'a mut Script,
    pub out: &'a mut Outbox,
    pub step: StepIx,
    /// The event being handled (`None` while entering a step).
    pub event: Option<&'e Event>,
    /// What the event's words were understood as, when the goodbye rule
    /// already read them: the kind gets the same without a second pass.
    pub understood: Option<Understood>,
}

impl Script {
    /// One event at a step in the generic phase: the kind decides.
    pub(super) fn step_event(
        &mut self,
        out: &mut Outbox,
        step: StepIx,
        progress: &mut Progress,
        event: &Event,
    ) -> Outcome<State> {
        if caller_sound(event) {
            progress.silent = 0;
        }
        // The kind is borrowed from the flow while the call changes.
        let flow = Arc::clone(&self.flow);
        let kind = &flow.step(step).kind;
        let input = step_input(&flow, event);
        // The caller's goodbye (issue 25), where it holds no request that
        // leads on from here, ends what the step waits for (keys, an entry,
        // a result) and leads to the close, unless the kind's words answer
        // something (`StepBehaviour::on_goodbye`).
        let mut understood = None;
        if let StepInput::Heard(heard @ Heard::Words(_)) = input {
            let before = match kind.on_goodbye(progress) {
                OnGoodbye::Own => None,
                OnGoodbye::Close => Some(None),
                OnGoodbye::CloseAfter(prompt) => Some(Some(prompt)),
            };
            if let Some(before) = before {
                let heard = self.understand(event, heard);
                if understanding::says_goodbye(&flow, heard) && !self.routable(step, heard) {
                    if let Some(p) = before {
                        self.say(p, out);
                    }
                    return Transition(self.caller_goodbye(step, out));
                }
                understood = Some(heard);
            }
        }
        let mut call = AtStep {
            script: self,
            out,
            step,
            event: Some(event),
            understood,
        };
        kind.on_input(progress, input, &mut call)
    }
}

/// An event as a step sees it.
fn step_input<'e>(flow: &Flow, event: &'e Event) -> StepInput<'e> {
    match event {
        Event::Speech { .. } | Event::Dtmf { .. } => match Input::of(flow, event) {
            Input::Clear(heard) => StepInput::Heard(heard),
            Input::Unclear | Input::NotInput => StepInput::Unclear,
        },
        Event::NoInput => StepInput::Silence,
        Event::InputStarted => StepInput::Started,
        Event::Audio(_) => StepInput::Audio,
        Event::LookupResult {
            name,
            ok,
            variables,
        } => StepInput::LookupResult {
            name,
            ok: *ok,
            variables,
        },
        Event::RecordingResult { ok, recording, .. } => {
            StepInput::RecordingResult { ok: *ok, recording }
        }
        Event::HoldResult { ok, variables } => StepInput::HoldResult { ok: *ok, variables },
        Event::TransferResult { connected, cause } => StepInput::TransferResult {
            connected: *connected,
            cause: *cause,
        },
        Event::TimeLimit => StepInput::TimeLimit,
        Event::Start
        | Event::PromptPlayed
        | Event::Data { .. }
        | Event::CallerHangup
        | Event::OperatorHangup
        | Event::FrontEndLost
        | Event::Shutdown => StepInput::Call,
    }
}

impl CallOps for AtStep<'_, '_> {
    type Next = Outcome<State>;
    type Phase = State;

    fn flow(&self) -> &Flow {
        &self.script.flow
    }

    fn here(&self) -> StepIx {
        self.step
    }

    fn say(&mut self, prompt: PromptIx) {
        self.script.say(prompt, self.out);
    }

    fn say_step(&mut self, prompt: PromptIx) {
        self.script.say_at(self.step, prompt, self.out);
    }

    fn tell(&mut self, prompt: PromptIx) {
        self.script.say_at(self.step, prompt, self.out);
        self.script.told = Some(prompt);
    }

    fn listen(&mut self) {
        self.script.listen(self.out);
    }

    fn listen_for(&mut self, timeout: Duration) {
        self.out.push(Action::Listen { timeout });
    }

    fn listen_until(&mut self, until: u64) {
        self.script.listen_until(until, self.out);
    }

    fn deadline_after(&self, wait: Duration) -> u64 {
        self.script.deadline_after(wait)
    }

    fn lookup(&mut self, name: &Arc<str>, params: &[Arc<str>]) {
        let params = params
            .iter()
            .map(|n| (n.to_string(), self.script.value_of(n).unwrap_or_default()))
            .collect();
        self.out.push(Action::Lookup {
            name: name.clone(),
            params,
        });
    }

    fn record(&mut self, max: Duration, beep: bool, terminators: &Arc<str>, into: &Arc<str>) {
        self.out.push(Action::Record {
            max,
            beep,
            terminators: terminators.clone(),
            into: into.clone(),
        });
    }

    fn value_of(&self, name: &str) -> Option<String> {
        self.script.value_of(name)
    }

    fn set_variable(&mut self, name: &str, value: String) {
        self.script.set_variable(name, value);
    }

    fn keep_variable(&mut self, name: &str, value: String) {
        self.script.vars.insert(name.to_owned(), value);
    }

    fn merge(&mut self, variables: &Vars) {
        self.script.merge(variables);
    }

    fn has_all(&self, names: &[Arc<str>]) -> bool {
        self.script.has_all(names)
    }

    fn understand(&mut self, heard: Heard<'_>) -> Understood {
        if let Some(u) = self.understood.take() {
            return u;
        }
        match self.event {
            Some(event) => self.script.understand(event, heard),
            None => {
                let u = self.script.flow.understand(self.script.locale, heard);
                self.script.heard = u;
                u
            }
        }
    }

    fn respond(&mut self, understood: Understood) -> Outcome<State> {
        self.script.respond_at(self.step, understood, self.out)
    }

    fn route(&self, intent: IntentIx) -> Option<StepIx> {
        self.script.route(self.step, intent)
    }

    fn follow(&mut self, intents: &[IntentIx]) -> Option<StepIx> {
        let (k, to) = intents
            .iter()
            .enumerate()
            .find_map(|(k, &i)| self.route(i).map(|to| (k, to)))?;
        let mut rest = Understood::default();
        for &i in &intents[k + 1..] {
            if self.route(i).is_some() {
                rest.push(i);
            }
        }
        self.script.not_understood = 0;
        self.script.pending = rest;
        Some(to)
    }

    fn yes_or_no(&self, understood: Understood) -> (YesNo, Understood) {
        let (answer, requests) = understanding::answer(&self.script.flow, understood, false);
        let answer = match answer {
            Answer::Yes => YesNo::Yes,
            Answer::No => YesNo::No,
            Answer::Other => YesNo::Neither,
        };
        (answer, requests)
    }

    fn take_pending(&mut self) -> Understood {
        mem::take(&mut self.script.pending)
    }

    fn asks_here(&mut self) {
        self.script.last_ask = self.step;
    }

    fn trail(&mut self) -> &mut Vec<StepIx> {
        &mut self.script.menus
    }

    fn enter_subflow(&mut self, entry: StepIx) -> Option<StepIx> {
        self.script.call_subflow(self.step, entry)
    }

    fn return_from_subflow(&mut self, label: &str) -> Option<StepIx> {
        self.script.return_from_subflow(label)
    }

    fn stay(&mut self) -> Outcome<State> {
        Handled
    }

    fn pass(&mut self) -> Outcome<State> {
        Super
    }

    fn go(&mut self, to: StepIx) -> Outcome<State> {
        Transition(self.script.enter(to, self.out))
    }

    fn silence(&mut self, silent: &mut u8, again: PromptIx) -> Outcome<State> {
        self.script.silence(silent, again, self.out)
    }

    fn closing_words(&mut self, close: &CloseStep, heard: Heard<'_>) -> Outcome<State> {
        match self.event {
            Some(event) => self
                .script
                .closing_words(self.step, close, event, heard, self.out),
            // Words come with an event; entering a step has none.
            None => Handled,
        }
    }

    fn goodbye(&mut self, close: &CloseStep) -> Outcome<State> {
        Transition(self.script.goodbye(self.step, close, self.out))
    }

    fn consent(
        &mut self,
        question: PromptIx,
        agent_is_yes: bool,
        estimate: Option<PromptIx>,
        progress: &mut Progress,
    ) -> Result<YesNo, Outcome<State>> {
        let Some(event) = self.event else {
            return Err(Handled);
        };
        let asking = Question {
            step: self.step,
            prompt: question,
            agent_is_yes,
            estimate,
        };
        let answer = self.script.consent(
            asking,
            event,
            &mut progress.silent,
            &mut progress.asked,
            self.out,
        )?;
        Ok(match answer {
            Answer::Yes => YesNo::Yes,
            Answer::No => YesNo::No,
            Answer::Other => YesNo::Neither,
        })
    }

    fn send_transfer(&mut self, transfer: &TransferStep) {
        let action = self.script.transfer_action(transfer);
        self.out.push(action);
    }

    fn back_to_ask(&mut self) -> Outcome<State> {
        Transition(self.script.back_to_ask(self.out))
    }

    fn transferred(&mut self) -> Outcome<State> {
        self.script.end(EndReason::Transferred, false, self.out)
    }

    fn wait(&mut self, progress: Progress) -> State {
        State::at_step(self.step, progress)
    }

    fn cannot_go_on(&mut self) -> State {
        self.script.cannot_go_on(self.step, self.out)
    }

    fn ask(&mut self, ask: &AskStep) -> State {
        self.script.enter_ask(self.step, ask, self.out)
    }

    fn close(&mut self, close: &CloseStep) -> State {
        self.script.enter_close(self.step, close, self.out)
    }

    fn hang_up(&mut self, prompt: PromptIx) -> State {
        self.script.say_at(self.step, prompt, self.out);
        self.out.push(Action::Hangup(EndReason::FlowEnd));
        self.script.ended = Some(EndReason::FlowEnd);
        State::ended()
    }
}
